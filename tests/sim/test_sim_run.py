"""End to end: `python -m sim run` dials a call list with the real worker, beat, stand-in and agent in
simulated time. Every persona must end in its expected result, and a run is reproducible for a seed.
(One test does both, because each full run costs tens of seconds on a 2-core machine.)"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sim.personas import DEFAULT_MIX, PERSONAS
from sim.run import SimRun
from sim.seed import ensure_sample_clinic

pytestmark = pytest.mark.slow


def _sim_run_cli(call_list: Path, seed: str) -> list[dict[str, Any]]:
    proc = subprocess.run([sys.executable, "-m", "sim", "run", "--call-list", str(call_list), "--clinic",
                           "sunrise-family", "--json", "--seed", seed, "--timeout", "150"],
                          capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def _conversations(conn: Any) -> dict[tuple[str, int], list[str]]:
    """(external id, attempt number) -> [outcome, what the patient said...]."""
    conn.rollback()
    rows = conn.execute("SELECT a.external_id, ca.attempt_number, ca.outcome, ca.transcript FROM call_attempts ca"
                        " JOIN appointments a ON a.id = ca.appointment_id ORDER BY 1, 2").fetchall()
    return {(r["external_id"], r["attempt_number"]): [r["outcome"]] + [
        t["text"] for t in (r["transcript"] or []) if t.get("role") == "patient"] for r in rows}


def test_every_persona_ends_in_its_expected_result_reproducibly(persona_list: Path, sample_clinic: dict[str, Any],
                                                                conn: Any) -> None:
    results = _sim_run_cli(persona_list, "42")
    assert {r["persona"] for r in results} == set(DEFAULT_MIX)
    for r in results:
        assert set(r) >= {"external_id", "status", "outcome", "attempts"}
        assert r["problems"] == [], r
        assert r["status"] in PERSONAS[r["persona"]].statuses
    by = {r["persona"]: r for r in results}
    assert (by["busy_then_confirm"]["attempts"], by["busy_then_confirm"]["outcome"]) == (2, "confirmed")
    assert by["busy"]["status"] == by["no_answer"]["status"] == "unreachable"
    assert by["wrong_number"]["outcome"] == "wrong_number" and by["opt_out"]["outcome"] == "opted_out"
    # One voicemail, then one silent retry on the next calling day (retry policy): both visible per attempt.
    assert by["voicemail"]["outcomes"].count("voicemail_left") == 1
    # The agent really talked: the rescheduler's transcript holds both sides and the booking tool.
    transcript = conn.execute("SELECT transcript FROM call_attempts WHERE id = %s",
                              (by["rescheduler"]["attempt_ids"][-1],)).fetchone()["transcript"]
    assert {"agent", "patient", "tool"} <= {t["role"] for t in transcript}
    said_first = _conversations(conn)

    # Same seed, same list, the clinic from scratch: the same outcomes and the same words from every patient.
    conn.execute("DELETE FROM clinics")
    conn.execute("DELETE FROM dnc")
    ensure_sample_clinic(conn, date(2027, 1, 10), days=16)
    conn.commit()
    second = SimRun(persona_list, "sunrise-family", seed="42", wall_timeout=150).execute()
    assert second.ok, [(r.external_id, r.problems) for r in second.results if r.problems] + second.problems
    assert [(r.external_id, r.status, r.outcome, r.attempts) for r in second.results] == [
        (r["external_id"], r["status"], r["outcome"], r["attempts"]) for r in sorted(results, key=lambda r: r[
            "external_id"])]
    assert _conversations(conn) == said_first
