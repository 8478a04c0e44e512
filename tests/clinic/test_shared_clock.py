"""The simulated clock every process of a demo night reads, anchored in Redis. A Redis flush mid-night must
not crash a process that had not read the anchor yet: the driver restores it within a tick."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
import redis

from clinic.clock import SharedSimClock

START = datetime(2027, 1, 11, 14, 0, tzinfo=UTC)


def test_a_process_that_never_saw_the_anchor_waits_for_it_to_be_restored(redis_url: str, redis_prefix: str):
    key = f"{redis_prefix}clock"
    driver = SharedSimClock(redis_url, key=key)
    driver.start(START, speed=60.0)
    redis.Redis.from_url(redis_url).delete(key)                 # the flush
    fresh = SharedSimClock(redis_url, key=key)                   # e.g. a job starting in another process
    restorer = threading.Timer(0.3, driver.now)                  # the driver's next tick puts the anchor back
    restorer.start()
    try:
        assert fresh.now() >= START
    finally:
        restorer.cancel()


def test_a_clock_nobody_started_still_says_so(redis_url: str, redis_prefix: str):
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="not started"):
        SharedSimClock(redis_url, key=f"{redis_prefix}clock").now()
    assert time.monotonic() - t0 < 5
