"""Dispatch throughput: 2 Celery worker processes against the LiveKit stand-in on one 30 calls/s trunk.

Builds its own database (cd_bench_dispatch) and Redis keys, plans N attempts with the real planner,
starts 2 real `celery worker --pool=solo` processes on a private queue, warms them up with a few calls,
lets the trunk go idle, then enqueues the N dispatches at once (a full backlog, the hardest case for
pacing) and reads the CreateDispatch arrival times the stand-in recorded.

Pacing error of the k-th arrival = its arrival time minus its ideal GCRA slot, t0 + k / cps, with t0
the latest origin consistent with every arrival (min of arrival_k - k / cps; deliveries are never
early). Any stall that makes the trunk fall behind shows up here and stays in every later error (the
schedule never catches up by bursting), so a low p99 means the rate held for the whole run.
Targets: 30 calls/s held, pacing error p99 <= 100 ms.

    python bench/dispatch_throughput.py [--calls 600] [--cps 30] [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import redis
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from clinic import clinics
from clinic.migrate import migrate
from clinic.settings import get_settings

WARMUP = 6
DB = "cd_bench_dispatch"


def midday_zone() -> str:
    """A zone where it is now between 10:00 and 19:00, so the 08-21 patient-time rule allows calls."""
    for tz in ("America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Europe/Berlin", "Asia/Kolkata",
               "Asia/Tokyo", "Australia/Sydney"):
        if 10 <= datetime.now(ZoneInfo(tz)).hour < 19:
            return tz
    return "UTC"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=600, help="measured dispatches (default 600 = 20 s at 30/s)")
    ap.add_argument("--cps", type=float, default=30.0, help="the trunk's calls-per-second limit")
    ap.add_argument("--workers", type=int, default=2, help="Celery worker processes (--pool=solo each)")
    args = ap.parse_args()
    total = args.calls + WARMUP

    base = get_settings().database_url
    url = make_conninfo(base, dbname=DB)
    with psycopg.connect(make_conninfo(base, dbname="postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    migrate(url)

    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    env = {"DATABASE_URL": url, "DIALER_QUEUE": f"{prefix}dialer", "DIALER_PACING_PREFIX": f"{prefix}pace:",
           "DIALER_CALL_MODE": "sim", "LOG_LEVEL": "WARNING"}
    os.environ.update(env)
    get_settings.cache_clear()

    from sim.livekit_standin import start_standin

    standin = start_standin(ring_scale=0)
    os.environ["LIVEKIT_URL"] = env["LIVEKIT_URL"] = standin.url
    get_settings.cache_clear()

    from dialer import planner
    from dialer.tasks import enqueue_dispatch

    now = datetime.now(UTC)
    with psycopg.connect(url, row_factory=dict_row) as conn:
        clinic = clinics.create_clinic(conn, slug="bench-dispatch", name="Bench Dispatch", timezone="UTC", state=None,
                                       calling_hours="00:00-23:59", closed_weekdays=[], max_concurrent_calls=total,
                                       calls_per_second=args.cps, sip_trunk_id="ST_bench",
                                       caller_id="+12125550100", callback_number="+12125550100",
                                       transfer_number="+12125550101")
        # Ready to dial (clinic.readiness): a trunk, caller ID, numbers and a free slot to offer.
        conn.execute("INSERT INTO slots (clinic_id, provider, starts_at) VALUES (%s, 'Dr. B', %s)",
                     (clinic["id"], now + timedelta(days=60)))
        conn.execute(
            "WITH p AS (INSERT INTO patients (clinic_id, full_name, phone)"
            "  SELECT %(c)s, 'P' || g, '+1415' || lpad(g::text, 7, '0') FROM generate_series(1, %(n)s) g"
            "  RETURNING id)"
            " INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, timezone)"
            " SELECT %(c)s, 'B' || p.id, p.id, %(at)s + (p.id || ' seconds')::interval, %(tz)s FROM p",
            {"c": clinic["id"], "n": total, "at": now + timedelta(days=2), "tz": midday_zone()})
        conn.commit()
        attempts: list[int] = []
        planner.tick(now, attempts.append, clinic_ids=[clinic["id"]], url=url)
        if len(attempts) != total:
            raise SystemExit(f"planned {len(attempts)} attempts, expected {total}")

        workers = [subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dialer.celery_app", "worker", "--pool=solo", "-Q",
             env["DIALER_QUEUE"], "-n", f"bench{i}-{os.getpid()}@%h", "-l", "WARNING", "--without-heartbeat",
             "--without-gossip", "--without-mingle"], env={**os.environ, **env}, stdout=subprocess.DEVNULL)
            for i in range(args.workers)]
        try:
            def dispatched() -> int:
                return len([c for c in standin.calls_to("CreateDispatch") if c.error is None])

            for attempt_id in attempts[:WARMUP]:
                enqueue_dispatch(attempt_id)
            wait_for(lambda: dispatched() >= WARMUP, 120, "the warm-up dispatches")
            time.sleep(1.0)  # the trunk goes idle: the measured run starts from rest, where bursts happen
            start = time.time()
            for attempt_id in attempts[WARMUP:]:
                enqueue_dispatch(attempt_id)
            enqueued = time.time() - start
            wait_for(lambda: dispatched() >= total, args.calls / args.cps * 3 + 60, "all dispatches")
            wait_for(lambda: conn.execute("SELECT count(*) AS n FROM call_attempts WHERE status = 'dispatched'")
                     .fetchone()["n"] == total or conn.rollback(), 30, "attempts marked dispatched")
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(10)

    arrivals = sorted(c.at for c in standin.calls_to("CreateDispatch") if c.error is None and c.at >= start)
    standin.stop()
    client = redis.Redis.from_url(get_settings().redis_url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    with psycopg.connect(make_conninfo(base, dbname="postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")

    interval = 1.0 / args.cps
    # The schedule's origin: arrival = slot + delivery delay (>= 0), so the latest origin consistent with
    # every arrival is min(a_k - k/cps). Errors are then each arrival's lateness against that schedule.
    t0 = min(t - k * interval for k, t in enumerate(arrivals))
    errors_ms = [(t - (t0 + k * interval)) * 1000 for k, t in enumerate(arrivals)]
    gaps_ms = [(b - a) * 1000 for a, b in itertools.pairwise(arrivals)]
    worst_window, j = 0, 0
    for i, t in enumerate(arrivals):
        while arrivals[j] <= t - 1.0:
            j += 1
        worst_window = max(worst_window, i - j + 1)
    rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    abs_err = errors_ms  # all >= 0 by the choice of t0
    print(f"{len(arrivals)} dispatches, {args.workers} worker processes (--pool=solo), trunk limit {args.cps:g}/s;"
          f" backlog enqueued in {enqueued * 1000:.0f} ms")
    print(f"throughput: {rate:.2f} calls/s over {arrivals[-1] - arrivals[0]:.1f} s; most in any 1 s window:"
          f" {worst_window}")
    print(f"pacing error vs ideal GCRA slots: median {statistics.median(abs_err):.1f} ms, p99"
          f" {percentile(abs_err, 0.99):.1f} ms, max {max(abs_err):.1f} ms (lateness vs the schedule)")
    print(f"gap between arrivals: min {min(gaps_ms):.1f} ms, median {statistics.median(gaps_ms):.1f} ms"
          f" (ideal {interval * 1000:.1f} ms)")
    held = rate >= args.cps * 0.98 and worst_window <= args.cps + 1
    print(f"targets: holds {args.cps:g}/s: {held}; pacing error p99 <= 100 ms: {percentile(abs_err, 0.99) <= 100}")


if __name__ == "__main__":
    main()
