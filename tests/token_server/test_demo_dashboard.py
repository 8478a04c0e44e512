"""`make demo`'s last step leaves a dashboard URL whose key opens the demo clinic's figures."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from sim.seed import ensure_sample_clinic


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(db_url: str, port: int, run_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "TOKEN_SERVER_PORT": str(port), "TOKEN_SERVER_HOST": "127.0.0.1",
           "DEMO_RUN_DIR": str(run_dir)}
    return subprocess.run([sys.executable, "-m", "sim.demo_dashboard"], capture_output=True, text=True,
                          timeout=60, env=env)


def test_printed_url_opens_the_demo_clinic(db_url: str, conn: Any, tmp_path: Path) -> None:
    ensure_sample_clinic(conn, date(2027, 1, 11), days=0)
    conn.commit()
    port = _free_port()
    proc = _run(db_url, port, tmp_path)
    try:
        assert proc.returncode == 0, proc.stderr
        m = re.search(r"dashboard: (http://127\.0\.0\.1:\d+)/#key=([^&\s]+)", proc.stdout)
        assert m, proc.stdout
        req = urllib.request.Request(m.group(1) + "/api/me", headers={"Authorization": f"Bearer {m.group(2)}"})
        with urllib.request.urlopen(req, timeout=5) as r:
            me = json.load(r)
        assert me["clinic"]["slug"] == "sunrise-family"
        # A second run mints a new key and revokes the old one; the server keeps running.
        again = _run(db_url, port, tmp_path)
        assert again.returncode == 0 and "already running" in again.stdout
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("the previous demo key still works")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    finally:
        pid_file = tmp_path / "token_server.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def test_a_foreign_server_on_the_port_is_reported(db_url: str, conn: Any, tmp_path: Path) -> None:
    """Something answering /health on the port that does not know the new key: say so, exit non-zero."""
    ensure_sample_clinic(conn, date(2027, 1, 11), days=0)
    conn.commit()
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        (tmp_path / "health").write_text("ok")
        import time
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        proc = _run(db_url, port, tmp_path)
        assert proc.returncode == 1
        assert "something else answers" in proc.stderr
    finally:
        server.terminate()
