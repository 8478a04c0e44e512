"""Dialer fixtures: a LiveKit stand-in, and real Celery worker processes on a queue unique to the test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
import redis

from clinic.settings import get_settings
from sim.livekit_standin import StandinHandle, start_standin


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinHandle]:
    handle = start_standin(ring_scale=0)
    monkeypatch.setenv("LIVEKIT_URL", handle.url)
    get_settings.cache_clear()
    yield handle
    handle.stop()


@pytest.fixture
def dialer_env(db_url: str, standin: StandinHandle, redis_prefix: str, redis_url: str,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Settings every dialer process of this test shares (also applied to this process)."""
    env = {"DATABASE_URL": db_url, "LIVEKIT_URL": standin.url, "DIALER_QUEUE": f"{redis_prefix}dialer",
           "DIALER_PACING_PREFIX": f"{redis_prefix}pace:", "DIALER_CALL_MODE": "sim", "LOG_LEVEL": "WARNING"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    yield env
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{redis_prefix}*"):
        client.delete(key)
    client.delete(env["DIALER_QUEUE"])


@pytest.fixture
def celery_workers(dialer_env: dict[str, str],
                   tmp_path: Path) -> Iterator[Callable[[int], list[subprocess.Popen[bytes]]]]:
    """start(n): n real `celery worker --pool=solo` processes on this test's queue; all stopped after.

    Their output goes to files in the test's tmp dir (worker<i>.log): a pipe nobody reads fills up
    (64 KB) and blocks a worker mid-run."""
    procs: list[subprocess.Popen[bytes]] = []
    outputs: list[BinaryIO] = []

    def start(n: int) -> list[subprocess.Popen[bytes]]:
        env = {**os.environ, **dialer_env}
        for i in range(n):
            outputs.append((tmp_path / f"worker{len(procs)}.log").open("wb"))
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "dialer.celery_app", "worker", "--pool=solo",
                 "-Q", dialer_env["DIALER_QUEUE"], "-n", f"w{i}-{os.getpid()}@%h", "-l", "WARNING",
                 "--without-heartbeat", "--without-gossip", "--without-mingle"],
                env=env, stdout=subprocess.DEVNULL, stderr=outputs[-1]))
        return procs

    yield start
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    for f in outputs:
        f.close()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
