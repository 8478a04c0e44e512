"""Chaos: the Celery worker and the LiveKit stand-in (with the agent jobs in it) are killed in the middle
of the batch and started again. Postgres is the source of truth, so every appointment must still end in
a definite state, and no appointment may ever be dialed twice at once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from sim.run import SimRun

pytestmark = pytest.mark.slow


def test_killing_worker_and_standin_mid_batch_loses_nothing(persona_list: Path, sample_clinic: dict[str, Any],
                                                           db_url: str) -> None:
    watch = psycopg.connect(db_url, row_factory=dict_row, autocommit=True)
    chaos: dict[str, Any] = {"killed_at": None, "restarted": False, "in_call_at_kill": 0}

    def kill_mid_batch(run: SimRun, _now: Any) -> None:
        assert run.services is not None
        if chaos["killed_at"] is None:
            row = watch.execute("SELECT count(*) FILTER (WHERE outcome IS NULL AND status IN ('dialing', 'in_call'))"
                                " AS live, count(*) AS total FROM call_attempts").fetchone()
            if row["live"] >= 1 and row["total"] >= 3:
                chaos["in_call_at_kill"] = row["live"]
                run.services.kill("worker")
                run.services.kill("standin")
                chaos["killed_at"] = time.monotonic()
        elif not chaos["restarted"] and time.monotonic() - chaos["killed_at"] > 2:
            run.services.start("standin")
            run.services.start("worker")
            chaos["restarted"] = True

    report = SimRun(persona_list, "sunrise-family", seed="chaos", wall_timeout=200, chaos=kill_mid_batch,
                    stall_wall_seconds=8).execute()
    assert chaos["restarted"] and report.restarts == {"worker": 1, "standin": 1}
    assert chaos["in_call_at_kill"] >= 1
    # Every appointment ended in a definite state; the run itself reports no overlap and nothing stuck.
    assert report.problems == []
    assert all(r.status != "pending" for r in report.results), [(r.external_id, r.status) for r in report.results]
    # Nobody was dialed twice at once: per appointment, attempt spans never overlap, and none is in flight.
    rows = watch.execute("SELECT appointment_id, planned_at, ended_at, outcome FROM call_attempts"
                         " ORDER BY appointment_id, attempt_number").fetchall()
    assert all(r["outcome"] is not None for r in rows)
    last_end: dict[int, Any] = {}
    for r in rows:
        prev = last_end.get(r["appointment_id"])
        assert prev is None or r["planned_at"] >= prev, f"appointment {r['appointment_id']} dialed twice at once"
        last_end[r["appointment_id"]] = r["ended_at"]
    # The calls cut off by the kill were reaped as lost and retried.
    assert any(o == "lost" for r in report.results for o in r.outcomes)
    watch.close()
