"""Calls-per-second per SIP trunk, shared by every worker through Redis: a GCRA with zero burst.

Each dispatch reserves the next free slot on its trunk (`theoretical arrival time` += 1/cps) in one
atomic Lua script using Redis' own clock, then sleeps until its slot. With zero burst tolerance an idle
trunk (after a pause, at the start of the window) never releases a burst: the first call goes at once,
the next one 1/cps later, exactly as in steady state. Why not a library: the Redis limiters on PyPI
(pyrate-limiter's Redis bucket, limits' moving window) answer "allowed now?" over a window and so
permit a full window's worth at once after idleness; a reservation is what gives even spacing.
Pacing is in wall time on purpose: the trunk counts real INVITEs, whatever the simulated clock says.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

_RESERVE = """
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, tat)
if slot - now > max_wait then
  return {-1, tostring(slot - now)}
end
local new_tat = slot + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 60000)
return {1, tostring(slot - now)}
"""


@dataclass(frozen=True)
class Reservation:
    granted: bool
    wait_seconds: float


class TrunkPacer:
    def __init__(self, client: redis.Redis, prefix: str = "clinic-dialer:pace:") -> None:
        self._redis = client
        self._prefix = prefix
        self._script = client.register_script(_RESERVE)

    def reserve(self, trunk: str, cps: float, max_wait: float = 10.0) -> Reservation:
        """Reserve the trunk's next slot if it is at most `max_wait` away. Not granted = nothing reserved
        (the caller retries later instead of holding a worker for long)."""
        if cps <= 0:
            raise ValueError("calls per second must be positive")
        granted, wait_us = self._script(keys=[self._prefix + trunk],
                                        args=[round(1_000_000 / cps), int(max_wait * 1_000_000)])
        return Reservation(int(granted) == 1, int(wait_us) / 1_000_000)

    def acquire(self, trunk: str, cps: float, max_wait: float = 10.0) -> Reservation:
        """Reserve and sleep until the slot. Returns the reservation (not granted: no sleep happened)."""
        r = self.reserve(trunk, cps, max_wait)
        if r.granted and r.wait_seconds > 0:
            time.sleep(r.wait_seconds)
        return r
