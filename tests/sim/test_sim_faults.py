"""Issue 14 items 3, 4 and 8 on one simulated run (each full run costs tens of seconds on two cores):

- `sim run --clinic B` touches only clinic B: clinic A, in the same database with appointments due at the
  same simulated hours, gets no attempt, no batch and no settled appointment;
- clinic B was made like `clinic add` (no trunk, numbers or slots): the run gives it the simulated phone
  network's and says so, while the planner keeps refusing it outside the run;
- Redis is flushed (a real FLUSHDB, on a Redis database of its own) while calls are in flight: the run
  carries on without a traceback, every attempt Redis forgot is reaped and retried, and every appointment
  settles with nobody dialed twice at once."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from psycopg.rows import dict_row

from clinic import clinics
from clinic.call_lists.importer import import_call_list
from dialer import planner
from sim.run import SimRun

pytestmark = pytest.mark.slow

REDIS_DB = 13  # flushed by this test: never the database other runs share


def _rows(persona_list: Path, personas: set[str]) -> Path:
    reader = csv.DictReader(io.StringIO(persona_list.read_text()))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
    writer.writeheader()
    writer.writerows(r for r in reader if r["persona"] in personas)
    path = persona_list.with_name("faults.csv")
    path.write_text(out.getvalue())
    return path


def test_sim_run_touches_only_its_clinic_and_survives_redis_flush(persona_list: Path, sample_clinic: dict[str, Any],
                                                                  conn: Any, db_url: str, redis_url: str) -> None:
    call_list = _rows(persona_list, {"confirmer", "rescheduler", "busy_then_confirm"})
    # Clinic A (ready, never run) holds the same appointments, due at the same simulated hours.
    import_call_list(conn, sample_clinic, call_list.read_bytes(), filename="a.csv",
                     now=datetime(2027, 1, 9, tzinfo=UTC))
    b = clinics.create_clinic(conn, slug="plain-b", name="Plain B", timezone="America/New_York", state="NY")
    conn.commit()
    assert planner.explain(conn, b, datetime(2027, 1, 11, 15, tzinfo=UTC)).as_json().get("not_ready") == [
        "sip_trunk_id", "caller_id", "callback_number", "transfer_number", "free_slots"]

    flush_url = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    client = redis.Redis.from_url(flush_url)
    watch = psycopg.connect(db_url, row_factory=dict_row, autocommit=True)
    chaos: dict[str, Any] = {"flushed": None}

    def flush_mid_call(_run: SimRun, _now: Any) -> None:
        if chaos["flushed"] is None:
            row = watch.execute("SELECT count(*) FILTER (WHERE outcome IS NULL) AS live FROM call_attempts"
                                " WHERE clinic_id = %s", (b["id"],)).fetchone()
            if row["live"] >= 1:
                chaos["flushed"] = {"in_flight": row["live"], "at": time.monotonic()}
                client.flushdb()

    run = SimRun(call_list, "plain-b", seed="faults", wall_timeout=240, chaos=flush_mid_call, stall_wall_seconds=8,
                 redis_url=flush_url)
    report = run.execute()
    assert chaos["flushed"] is not None and chaos["flushed"]["in_flight"] >= 1
    assert report.problems == [], report.problems
    assert all(r.status != "pending" for r in report.results), [(r.external_id, r.status) for r in report.results]
    assert any("sip_trunk_id ST_simulated_phone_network" in n for n in run.notices)
    # Nothing of clinic A was touched.
    a_attempts = watch.execute("SELECT count(*) AS n FROM call_attempts WHERE clinic_id = %s",
                               (sample_clinic["id"],)).fetchone()["n"]
    a_settled = watch.execute("SELECT count(*) AS n FROM appointments WHERE clinic_id = %s AND status <> 'pending'",
                              (sample_clinic["id"],)).fetchone()["n"]
    a_batches = watch.execute("SELECT count(*) AS n FROM batches WHERE clinic_id = %s",
                              (sample_clinic["id"],)).fetchone()["n"]
    assert (a_attempts, a_settled, a_batches) == (0, 0, 0)
    # Every attempt of B ended; none overlapped another of the same appointment.
    rows = watch.execute("SELECT appointment_id, planned_at, ended_at, outcome FROM call_attempts WHERE clinic_id = %s"
                         " ORDER BY appointment_id, attempt_number", (b["id"],)).fetchall()
    assert rows and all(r["outcome"] is not None for r in rows)
    last_end: dict[int, Any] = {}
    for r in rows:
        prev = last_end.get(r["appointment_id"])
        assert prev is None or r["planned_at"] >= prev, f"appointment {r['appointment_id']} dialed twice at once"
        last_end[r["appointment_id"]] = r["ended_at"]
    watch.close()
