"""Planner tick with 1,000,000 appointments in the table and 1,000 due: time per tick and the query plan.

Builds its own database (cd_bench_planner), so it never touches real data. Each measured tick plans a
clinic's free capacity (20 calls) out of the 1,000 due appointments and is rolled back, so every tick
sees the same state. Target: <= 50 ms per tick.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from clinic.migrate import migrate
from clinic.settings import get_settings
from dialer import planner

TOTAL, DUE, TICKS = 1_000_000, 1_000, 30


def main() -> None:
    url = make_conninfo(get_settings().database_url, dbname="cd_bench_planner")
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS cd_bench_planner WITH (FORCE)")
    migrate(url)
    now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # Tuesday 11:00 New York
    with psycopg.connect(url, row_factory=dict_row) as conn:
        t0 = time.perf_counter()
        clinics = [conn.execute(
            "INSERT INTO clinics (slug, name, timezone, us_state, max_concurrent_calls) VALUES (%s, %s,"
            " 'America/New_York', 'NY', 20) RETURNING id", (f"bench-{i}", f"Bench {i}")).fetchone()["id"]
            for i in range(10)]
        conn.execute("INSERT INTO patients (clinic_id, full_name, phone)"
                     " SELECT %s, 'P' || g, '+1415' || lpad(g::text, 7, '0') FROM generate_series(1, %s) g",
                     (clinics[0], TOTAL))
        # 1,000 due for clinic 0; the rest are past, settled, far in the future, or other clinics'.
        conn.execute(
            "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, status)"
            " SELECT CASE WHEN p.id <= %(due)s THEN %(c0)s ELSE (%(cl)s::bigint[])[1 + p.id %% 10] END,"
            "        'E' || p.id, p.id,"
            "        CASE WHEN p.id <= %(due)s THEN %(soon)s::timestamptz + (p.id || ' seconds')::interval"
            "             WHEN p.id %% 3 = 0 THEN %(past)s::timestamptz ELSE %(later)s::timestamptz END,"
            "        CASE WHEN p.id > %(due)s AND p.id %% 2 = 0 THEN 'confirmed' ELSE 'pending' END"
            " FROM patients p",
            {"due": DUE, "c0": clinics[0], "cl": clinics, "soon": now + timedelta(hours=48),
             "past": now - timedelta(days=30), "later": now + timedelta(days=30)})
        conn.execute("ANALYZE")
        conn.commit()
        print(f"seeded {TOTAL:,} appointments ({DUE:,} due) in {time.perf_counter() - t0:.1f}s")
        clinic = conn.execute("SELECT * FROM clinics WHERE id = %s", (clinics[0],)).fetchone()
        plan = conn.execute("EXPLAIN " + planner._CANDIDATES, {
            "clinic": clinic["id"], "now": now, "from": now + clinic["call_ahead_min"],
            "to": now + clinic["call_ahead_max"], "max_attempts": 3, "after": 0, "after_start": now,
            "limit": planner.PAGE}).fetchall()
        print("query plan of the candidate query:")
        for row in plan:
            print("   ", row["QUERY PLAN"])
        timings = []
        for _ in range(TICKS):
            t = time.perf_counter()
            result = planner.plan_clinic(conn, clinic, now, mode="sim")
            timings.append((time.perf_counter() - t) * 1000)
            conn.rollback()
            assert len(result.dial) == 20, len(result.dial)
        timings.sort()
        print(f"planner tick (20 attempts created out of {DUE:,} due, {TOTAL:,} rows): median "
              f"{statistics.median(timings):.1f} ms, p95 {timings[int(0.95 * len(timings)) - 1]:.1f} ms, "
              f"max {timings[-1]:.1f} ms (target <= 50 ms)")
        uses_index = any("appointments_due" in r["QUERY PLAN"] for r in plan)
        print(f"index appointments_due used: {uses_index}")
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS cd_bench_planner WITH (FORCE)")


if __name__ == "__main__":
    main()
