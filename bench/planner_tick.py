"""Planner tick with 1,000,000 appointments in the table and 1,000 due: time per tick and the query plan.

Builds its own database (cd_bench_planner), so it never touches real data. Each measured tick plans a
clinic's free capacity (20 calls) out of the 1,000 due appointments and is rolled back, so every tick
sees the same state. 200,100 past attempts give the guardrail counts real work (100 of the due
appointments' numbers were called today, so the tick must skip past them). Target: <= 50 ms per tick.
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
            "INSERT INTO clinics (slug, name, timezone, us_state, max_concurrent_calls, sip_trunk_id, caller_id,"
            " callback_number, transfer_number) VALUES (%s, %s, 'America/New_York', 'NY', 20, 'ST_bench',"
            " '+12125550100', '+12125550100', '+12125550101') RETURNING id",
            (f"bench-{i}", f"Bench {i}")).fetchone()["id"]
            for i in range(10)]
        # Ready to dial (clinic.readiness): the settings above and a free slot to offer.
        conn.execute("INSERT INTO slots (clinic_id, provider, starts_at) SELECT unnest(%s::bigint[]), 'Dr. B', %s",
                     (clinics, now + timedelta(days=60)))
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
        # Call history for the guardrails to count: 200,000 ended attempts over the last 10 days, and the
        # 100 earliest due appointments were already called today (1 a day), so the tick must skip them.
        conn.execute(
            "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, status, outcome,"
            " planned_at, dial_started_at)"
            " SELECT a.clinic_id, a.id, 1, p.phone, 'ended', CASE WHEN a.id <= 100 THEN 'busy' ELSE 'no_answer' END,"
            "        t.at, t.at"
            " FROM appointments a JOIN patients p ON p.id = a.patient_id"
            " CROSS JOIN LATERAL (SELECT CASE WHEN a.id <= 100 THEN %(now)s::timestamptz - interval '1 hour'"
            "        ELSE %(now)s::timestamptz - (a.id %% 240 || ' hours')::interval END AS at) t"
            " WHERE a.id <= 100 OR (a.id > %(due)s AND a.id %% 5 = 0)",
            {"now": now, "due": DUE})
        conn.execute("ANALYZE")
        conn.commit()
        print(f"seeded {TOTAL:,} appointments ({DUE:,} due, 100 of them guarded) and 200,100 attempts"
              f" in {time.perf_counter() - t0:.1f}s")
        clinic = conn.execute("SELECT * FROM clinics WHERE id = %s", (clinics[0],)).fetchone()
        plan = conn.execute("EXPLAIN " + planner._CANDIDATES, planner.candidate_params(clinic, now)).fetchall()
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
        for index in ("appointments_due", "call_attempts_number_history"):
            print(f"index {index} used: {any(index in r['QUERY PLAN'] for r in plan)}")
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS cd_bench_planner WITH (FORCE)")


if __name__ == "__main__":
    main()
