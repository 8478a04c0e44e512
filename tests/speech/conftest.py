"""A real speech server (Whisper tiny.en + Piper, loaded once) on a free loopback port for these tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def speech_server_url() -> Iterator[str]:
    """Base URL (`.../v1`) of a running `speech_server` app, as the agent's plugins are configured."""
    from speech_server.app import create_app
    from speech_server.engines import PiperEngine, WhisperEngine

    app = create_app(WhisperEngine(workers=2), PiperEngine())
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("speech server did not start")
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(timeout=10)
