"""The one source of "now". Production uses the wall clock; tests pin it; the demo runs a whole night
and calling day in minutes on a simulated clock shared by every process through Redis."""

from __future__ import annotations

import json
import time as _time
from datetime import UTC, datetime, timedelta
from typing import Protocol, cast

import redis

from clinic.settings import get_settings

SIM_CLOCK_KEY = "clinic-dialer:sim-clock"
# Concurrent simulations (tests, a demo next to them) each anchor their own clock under their own key.
SIM_CLOCK_KEY_ENV = "DIALER_SIM_CLOCK_KEY"


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


ANCHOR_WAIT_SECONDS = 2.0   # how long a process that never saw the anchor waits for another to restore it


class SharedSimClock:
    """Simulated time = sim_start + (wall - wall_start) * speed, anchored in Redis so the Celery
    worker, beat, the LiveKit stand-in and the demo driver all read the same instant."""

    def __init__(self, redis_url: str | None = None, key: str | None = None) -> None:
        import os

        self._redis = redis.Redis.from_url(redis_url or get_settings().redis_url)
        self._key = key or os.environ.get(SIM_CLOCK_KEY_ENV) or SIM_CLOCK_KEY
        self._cached: tuple[float, float, float] | None = None

    def start(self, sim_start: datetime, speed: float) -> None:
        anchor = {"sim": sim_start.timestamp(), "wall": _time.time(), "speed": speed}
        self._redis.set(self._key, json.dumps(anchor))
        self._cached = (anchor["sim"], anchor["wall"], anchor["speed"])

    def jump(self, to: datetime, speed: float | None = None) -> None:
        """Move simulated time (forward only) and keep running from there."""
        current = self.now()
        if to < current:
            raise ValueError("the simulated clock only moves forward")
        self.start(to, self._anchor()[2] if speed is None else speed)

    def _anchor(self) -> tuple[float, float, float]:
        raw = self._redis.get(self._key)
        deadline = _time.monotonic() + ANCHOR_WAIT_SECONDS
        while raw is None and self._cached is None and _time.monotonic() < deadline:
            # Redis lost the anchor before this process ever read it (a flush as a fresh job starts): the
            # driver, which reads the clock every tick, puts it back within a tick. Seen once in CI as a crashed
            # agent job (tests/sim/test_sim_faults.py).
            _time.sleep(0.05)
            raw = self._redis.get(self._key)
        if raw is None:
            if self._cached is None:
                raise RuntimeError("simulated clock not started (run the demo driver, or unset DIALER_CLOCK)")
            # Redis lost the anchor (flushed, restarted empty): put back the last one this process saw.
            # SET NX: the first process to notice restores it, everyone else reads that.
            sim, wall, speed = self._cached
            self._redis.set(self._key, json.dumps({"sim": sim, "wall": wall, "speed": speed}), nx=True)
            raw = self._redis.get(self._key)
            if raw is None:
                return self._cached
        a = json.loads(cast(bytes, raw))  # a sync client: get() returns the value, not an awaitable
        self._cached = (a["sim"], a["wall"], a["speed"])
        return self._cached

    def now(self) -> datetime:
        sim, wall, speed = self._anchor()
        return datetime.fromtimestamp(sim + (_time.time() - wall) * speed, UTC)


_clock: Clock | None = None


def get_clock() -> Clock:
    """The process clock: `DIALER_CLOCK=sim` selects the shared simulated clock."""
    global _clock
    if _clock is None:
        import os

        _clock = SharedSimClock() if os.environ.get("DIALER_CLOCK") == "sim" else SystemClock()
    return _clock


def set_clock(clock: Clock | None) -> None:
    """Inject a clock (tests); None goes back to the environment's choice."""
    global _clock
    _clock = clock
