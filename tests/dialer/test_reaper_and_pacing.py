"""Reaper deadlines and the shared trunk pacer (real Redis)."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import redis

from dialer import reaper
from dialer.pacing import TrunkPacer
from tests.dialer.factories import appointment, attempt

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def test_reaper_marks_stuck_attempts_lost_and_retries(conn, make_clinic) -> None:
    cid = make_clinic(max_call_seconds=600, ring_timeout_seconds=30)["id"]
    rows = {}
    for name, status, planned, extra in [
        ("planned-old", "planned", NOW - 11 * M, {}),
        ("planned-new", "planned", NOW - 5 * M, {}),
        ("dispatched-old", "dispatched", NOW - 3 * M, {"dispatched_at": NOW - 3 * M}),
        ("dispatched-new", "dispatched", NOW - 1 * M, {"dispatched_at": NOW - 1 * M}),
        ("call-overdue", "in_call", NOW - 20 * M, {"answered_at": NOW - 13 * M}),
        ("call-ok", "in_call", NOW - 20 * M, {"answered_at": NOW - 11 * M}),
    ]:
        appt = appointment(conn, cid, name, NOW + timedelta(days=2), phone=f"+1415555{len(rows):04d}")
        rows[name] = (appt, attempt(conn, cid, appt, 1, planned, phone=f"+1415555{len(rows):04d}", status=status,
                                    **extra))
    conn.commit()
    reaped = reaper.reap(conn, NOW)
    conn.commit()
    assert sorted(reaped) == sorted(rows[n][1] for n in ("planned-old", "dispatched-old", "call-overdue"))
    appt = conn.execute("SELECT * FROM appointments WHERE id = %s", (rows["dispatched-old"][0],)).fetchone()
    assert (appt["status"], appt["attempts_count"], appt["next_attempt_at"]) == ("pending", 0, NOW + 5 * M)
    assert reaper.reap(conn, NOW) == []  # idempotent


def test_pacer_spaces_calls_across_threads_without_burst(redis_url, redis_prefix) -> None:
    pacer = TrunkPacer(redis.Redis.from_url(redis_url), redis_prefix)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            pacer.acquire("trunk", cps=20)
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(stamps) == 20 and min(gaps) > 0.04  # 20 cps = 50 ms apart, never a burst
    # After an idle pause the first call goes at once, the second one still 50 ms later.
    time.sleep(0.5)
    t0 = time.monotonic()
    pacer.acquire("trunk", cps=20)
    pacer.acquire("trunk", cps=20)
    assert 0.04 < time.monotonic() - t0 < 0.09
    far = TrunkPacer(redis.Redis.from_url(redis_url), redis_prefix)
    for _ in range(3):
        far.reserve("slow", cps=1, max_wait=10)
    assert not far.reserve("slow", cps=1, max_wait=1.5).granted
