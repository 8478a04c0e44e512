"""deployment/healthcheck.py decides whether ECS/Docker restart a container: healthy and unhealthy
answers must both be right."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from tests.deployment.manifests import DEPLOYMENT


def load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("healthcheck", DEPLOYMENT / "healthcheck.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hc = load_healthcheck()


@pytest.fixture
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/health" else 503)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_http_healthy_and_unhealthy(server: str) -> None:
    assert "200" in hc.check_http(f"{server}/health")
    with pytest.raises(hc.Unhealthy, match="503"):
        hc.check_http(f"{server}/broken")
    with pytest.raises(hc.Unhealthy, match="unreachable"):
        hc.check_http("http://127.0.0.1:9/health", timeout=1)


def test_beat_schedule_file_freshness(tmp_path: Path) -> None:
    schedule = tmp_path / "celerybeat-schedule"
    with pytest.raises(hc.Unhealthy, match="does not exist"):
        hc.check_file_fresh(str(schedule), 600)
    schedule.write_bytes(b"x")
    assert "written" in hc.check_file_fresh(str(schedule), 600)
    old = time.time() - 3600
    os.utime(schedule, (old, old))
    with pytest.raises(hc.Unhealthy, match="last written"):
        hc.check_file_fresh(str(schedule), 600)
    # shelve may add a suffix (dbm backends): the suffixed file counts too
    (tmp_path / "celerybeat-schedule.db").write_bytes(b"x")
    assert "written" in hc.check_file_fresh(str(schedule), 600)


@pytest.fixture
def probe_app(tmp_path: Path, redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A Celery app module on this test's private Redis key prefix (no other run sees its pings)."""
    (tmp_path / "hc_probe_app.py").write_text(
        "from celery import Celery\n"
        f"app = Celery('probe', broker={redis_url!r})\n"
        f"app.conf.broker_transport_options = {{'global_keyprefix': {redis_prefix!r}}}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("hc_probe_app", None)


def test_celery_worker_without_a_worker_is_unhealthy(probe_app: Path, redis_prefix: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CELERY_NODE_NAME", f"celery@{redis_prefix}nobody")
    with pytest.raises(hc.Unhealthy, match="did not answer"):
        hc.check_celery_worker("hc_probe_app", timeout=1)


def test_celery_worker_that_answers_is_healthy(probe_app: Path, redis_prefix: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    node = f"celery@{redis_prefix.strip(':').replace(':', '-')}"
    monkeypatch.setenv("CELERY_NODE_NAME", node)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hc_probe_app", "worker", "-n", node, "--pool=solo",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=probe_app, env={**os.environ, "PYTHONPATH": str(probe_app)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert "answered" in hc.check_celery_worker("hc_probe_app", timeout=1)
                break
            except hc.Unhealthy:
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise
    finally:
        worker.terminate()
        worker.wait(timeout=15)


def test_main_exit_codes(server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HEALTHCHECK_URL", f"{server}/health")
    assert hc.main(["http"]) == 0
    monkeypatch.setenv("HEALTHCHECK_URL", f"{server}/nope")
    assert hc.main(["http"]) == 1
    assert "unhealthy" in capsys.readouterr().err
    assert hc.main(["bogus"]) == 2
