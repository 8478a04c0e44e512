"""Container health checks for the service images (Dockerfile HEALTHCHECK and ECS task definitions).

Slim images ship no curl, and a Celery worker is only healthy if it answers on the broker, so every
check is a subcommand of this one stdlib-first script; exit 0 = healthy, 1 = unhealthy (the reason
goes to stderr, which Docker and ECS keep with the health status):

    python deployment/healthcheck.py http            # GET $HEALTHCHECK_URL answers 2xx
    python deployment/healthcheck.py celery-worker   # this container's worker answers a broker ping
    python deployment/healthcheck.py beat            # beat's schedule file was written recently
"""

from __future__ import annotations

import os
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

# Celery beat's PersistentScheduler syncs its schedule file at least every 3 minutes while it ticks;
# 10 minutes of silence means the scheduler loop is stuck even if the process is still alive.
BEAT_MAX_AGE_SECONDS = 600


class Unhealthy(Exception):
    """The service is not healthy; the message says why."""


def check_http(url: str, timeout: float = 4.0) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        raise Unhealthy(f"{url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise Unhealthy(f"{url} unreachable: {exc}") from None
    if not 200 <= status < 300:
        raise Unhealthy(f"{url} answered HTTP {status}")
    return f"{url} answered HTTP {status}"


def check_file_fresh(path: str, max_age_seconds: float, now: float | None = None) -> str:
    """Beat's liveness: the schedule file exists and was written within `max_age_seconds`."""
    now = time.time() if now is None else now
    candidates = [p for p in (path, path + ".db", path + ".dat") if os.path.exists(p)]
    if not candidates:
        raise Unhealthy(f"beat schedule file {path} does not exist (beat never ticked)")
    age = now - max(os.path.getmtime(p) for p in candidates)
    if age > max_age_seconds:
        raise Unhealthy(f"beat schedule file {path} last written {age:.0f}s ago (limit {max_age_seconds:.0f}s)")
    return f"beat schedule file written {age:.0f}s ago"


def check_celery_worker(app_path: str = "dialer.celery_app", timeout: float = 8.0) -> str:
    """Ask this container's worker (celery@<hostname>, Celery's default node name) to answer a ping."""
    from celery.app.utils import find_app  # imported here: the http check must not pay for Celery

    app = find_app(app_path)
    node = os.environ.get("CELERY_NODE_NAME") or f"celery@{socket.gethostname()}"
    replies = app.control.ping(destination=[node], timeout=timeout)
    if not any(node in reply for reply in replies or []):
        raise Unhealthy(f"worker {node} did not answer a ping within {timeout:.0f}s")
    return f"worker {node} answered"


CHECKS: dict[str, Callable[[], str]] = {
    "http": lambda: check_http(os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/health")),
    "celery-worker": lambda: check_celery_worker(os.environ.get("CELERY_APP", "dialer.celery_app")),
    "beat": lambda: check_file_fresh(
        os.environ.get("BEAT_SCHEDULE_FILE", "/tmp/celerybeat-schedule"),
        float(os.environ.get("BEAT_MAX_AGE_SECONDS", BEAT_MAX_AGE_SECONDS)),
    ),
}


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1 or argv[0] not in CHECKS:
        print(f"usage: healthcheck.py {{{'|'.join(CHECKS)}}}", file=sys.stderr)
        return 2
    try:
        print(CHECKS[argv[0]]())
    except Unhealthy as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # any surprise is unhealthy, never a crash without a reason
        print(f"unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
