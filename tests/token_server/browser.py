"""What the browser tests share: Debian's Chromium with the flags this closed machine needs, the token server
in a thread, and the sign-in step. Screenshots go to test-artifacts/ (gitignored)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
STATIC = ROOT / "token_server" / "static" / "index.html"
CHROMIUM = "/usr/bin/chromium"
# --disable-background-networking & co.: without them Chromium keeps trying Google's hosts on a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 "--autoplay-policy=no-user-gesture-required"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def token_server() -> Iterator[str]:
    """uvicorn in a thread, serving the built page and the API with the current settings."""
    if not STATIC.exists():
        pytest.fail("the page is not built: run `make frontend` (make test does it)")
    from token_server.app import create_app

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("token server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium_page(extra_args: Sequence[str] = ()) -> Iterator[Any]:
    """A fresh headless Chromium (its own profile) with the microphone allowed; `extra_args` e.g. the WAV
    the fake microphone plays (`--use-file-for-fake-audio-capture=FILE`)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make browsers` (make test does it)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args], headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        context.grant_permissions(["microphone"])
        pg = context.new_page()
        pg.set_default_timeout(15000)
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def sign_in(page: Any, server: str, key: str, path: str = "") -> None:
    page.goto(f"{server}/#/{path}")
    page.get_by_test_id("api-key").fill(key)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Dashboard").wait_for()
