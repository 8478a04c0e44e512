"""finish_attempt / mark_attempt against the real schema: idempotence, forward-only, retry policy applied."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from clinic.outcomes import AttemptNotFound, finish_attempt, mark_attempt

Conn = psycopg.Connection[dict[str, Any]]
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def _setup(conn: Conn, make_clinic: Callable[..., dict[str, Any]], attempts_count: int = 0) -> tuple[int, int]:
    clinic = make_clinic()
    pid = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, 'Ada L', '+14155550132')"
                       " RETURNING id", (clinic["id"],)).fetchone()["id"]
    aid = conn.execute("INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, attempts_count)"
                       " VALUES (%s, 'A1', %s, %s, %s) RETURNING id",
                       (clinic["id"], pid, NOW + timedelta(days=3), attempts_count)).fetchone()["id"]
    att = conn.execute("INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, planned_at)"
                       " VALUES (%s, %s, %s, '+14155550132', %s) RETURNING id",
                       (clinic["id"], aid, attempts_count + 1, NOW)).fetchone()["id"]
    conn.commit()
    return aid, att


def test_finish_applies_retry_policy_and_is_idempotent(conn: Conn, make_clinic) -> None:
    aid, att = _setup(conn, make_clinic)
    row = finish_attempt(conn, att, "busy", now=NOW, fields={"sip_status_code": 486, "sip_status": "Busy Here"})
    conn.commit()
    assert (row.status, row.outcome, row.sip_status_code, row.ended_at) == ("ended", "busy", 486, NOW)
    appt = conn.execute("SELECT * FROM appointments WHERE id = %s", (aid,)).fetchone()
    assert (appt["status"], appt["attempts_count"], appt["last_outcome"]) == ("pending", 1, "busy")
    assert appt["next_attempt_at"] == NOW + timedelta(minutes=15)

    # A late writer (e.g. the reaper) does not overwrite the final outcome, nor count the attempt twice.
    again = finish_attempt(conn, att, "lost", now=NOW + timedelta(minutes=5), fields={"error": "late"})
    conn.commit()
    assert (again.outcome, again.error) == ("busy", None)
    appt = conn.execute("SELECT * FROM appointments WHERE id = %s", (aid,)).fetchone()
    assert (appt["attempts_count"], appt["last_outcome"]) == (1, "busy")


def test_finish_stores_call_fields_and_final_status(conn: Conn, make_clinic) -> None:
    aid, att = _setup(conn, make_clinic)
    mark_attempt(conn, att, "in_call", now=NOW)
    row = finish_attempt(conn, att, "confirmed", now=NOW + timedelta(seconds=90), fields={
        "transcript": [{"role": "agent", "text": "hi"}], "summary": "confirmed", "usage": {"llm_tokens": 10},
        "cost_usd": 0.0123})
    conn.commit()
    assert row.transcript == [{"role": "agent", "text": "hi"}]
    assert float(row.duration_seconds or 0) == 90.0
    assert conn.execute("SELECT status FROM appointments WHERE id = %s", (aid,)).fetchone()["status"] == "confirmed"


def test_last_attempt_makes_appointment_unreachable(conn: Conn, make_clinic) -> None:
    aid, att = _setup(conn, make_clinic, attempts_count=2)
    finish_attempt(conn, att, "no_answer", now=NOW)
    conn.commit()
    appt = conn.execute("SELECT * FROM appointments WHERE id = %s", (aid,)).fetchone()
    assert (appt["status"], appt["attempts_count"], appt["next_attempt_at"]) == ("unreachable", 3, None)
    assert conn.execute("SELECT kind, actor, data FROM events WHERE subject_type = 'appointment'"
                        " AND subject_id = %s", (aid,)).fetchall() == [
        {"kind": "appointment.unreachable", "actor": "dialer",
         "data": {"from_status": "pending", "reason": "attempts_exhausted", "attempt_id": att,
                  "outcome": "no_answer"}}]


def test_settled_appointment_keeps_its_status(conn: Conn, make_clinic) -> None:
    aid, att = _setup(conn, make_clinic)
    conn.execute("UPDATE appointments SET status = 'cancelled' WHERE id = %s", (aid,))
    finish_attempt(conn, att, "no_answer", now=NOW)
    conn.commit()
    appt = conn.execute("SELECT * FROM appointments WHERE id = %s", (aid,)).fetchone()
    assert (appt["status"], appt["last_outcome"]) == ("cancelled", "no_answer")


def test_mark_attempt_only_moves_forward(conn: Conn, make_clinic) -> None:
    _, att = _setup(conn, make_clinic)
    row = mark_attempt(conn, att, "dialing", now=NOW, sip_call_id="SCL_1")
    assert (row["status"], row["dial_started_at"], row["sip_call_id"]) == ("dialing", NOW, "SCL_1")
    assert mark_attempt(conn, att, "dispatched", now=NOW) is None  # backwards: refused
    assert mark_attempt(conn, att, "in_call", now=NOW + timedelta(seconds=3))["answered_at"] == NOW + timedelta(
        seconds=3)
    finish_attempt(conn, att, "hung_up", now=NOW + timedelta(seconds=9))
    assert mark_attempt(conn, att, "in_call", now=NOW) is None  # ended: refused
    with pytest.raises(ValueError, match="status must be"):
        mark_attempt(conn, att, "ended", now=NOW)


def test_an_identifier_that_arrives_after_the_status_is_still_kept(conn: Conn, make_clinic) -> None:
    """room_started (or the agent's `dialing`) can beat the dispatch task's `dispatched` write: the status
    stays where it is, the dispatch id is filled in, and an id already set is not overwritten."""
    _, att = _setup(conn, make_clinic)
    mark_attempt(conn, att, "dialing", now=NOW, sip_call_id="SCL_1")
    assert mark_attempt(conn, att, "dispatched", now=NOW, dispatch_id="AD_1", sip_call_id="SCL_2") is None
    row = conn.execute("SELECT status, dispatch_id, sip_call_id FROM call_attempts WHERE id = %s", (att,)).fetchone()
    assert (row["status"], row["dispatch_id"], row["sip_call_id"]) == ("dialing", "AD_1", "SCL_1")
    finish_attempt(conn, att, "hung_up", now=NOW + timedelta(seconds=9))
    mark_attempt(conn, att, "dispatched", now=NOW, dispatch_id="AD_2")
    after = conn.execute("SELECT dispatch_id FROM call_attempts WHERE id = %s", (att,)).fetchone()
    assert after["dispatch_id"] == "AD_1"


def test_bad_input_is_rejected(conn: Conn, make_clinic) -> None:
    _, att = _setup(conn, make_clinic)
    with pytest.raises(ValueError, match="outcome 'great'"):
        finish_attempt(conn, att, "great", now=NOW)
    with pytest.raises(ValueError, match="phone"):
        finish_attempt(conn, att, "busy", now=NOW, fields={"phone": "+1"})
    with pytest.raises(AttemptNotFound):
        finish_attempt(conn, 999_999, "busy", now=NOW)


def test_trunk_failures_trip_the_circuit_breaker(conn: Conn, make_clinic) -> None:
    clinic = make_clinic()
    pid = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, 'Ada L', '+14155550132')"
                       " RETURNING id", (clinic["id"],)).fetchone()["id"]
    for i in range(20):
        aid = conn.execute("INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at)"
                           " VALUES (%s, %s, %s, %s) RETURNING id",
                           (clinic["id"], f"A{i}", pid, NOW + timedelta(days=3))).fetchone()["id"]
        att = conn.execute("INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone)"
                           " VALUES (%s, %s, 1, '+14155550132') RETURNING id", (clinic["id"], aid)).fetchone()["id"]
        outcome, code = ("failed", 503) if i % 2 else ("busy", 486)
        finish_attempt(conn, att, outcome, now=NOW + timedelta(seconds=i), fields={"sip_status_code": code})
        paused = conn.execute("SELECT paused_reason FROM clinics WHERE id = %s", (clinic["id"],)).fetchone()
        assert (paused["paused_reason"] is not None) == (i == 19), i  # 10 of the last 20 is half
    assert "circuit breaker" in paused["paused_reason"]


def test_trunk_403_recorded_as_rejected_trips_the_circuit_breaker(conn: Conn, make_clinic) -> None:
    """The agent maps a SIP 403 to `rejected`; 10 such trunk refusals in the last 20 results must still
    pause the clinic (the breaker counts SIP codes, not the outcome name)."""
    from clinic.circuit_breaker import is_trunk_failure, should_trip

    assert is_trunk_failure(403) and is_trunk_failure(404) and is_trunk_failure(503)
    assert not any(is_trunk_failure(c) for c in (None, 486, 480, 408, 603))
    assert should_trip([("rejected", 403)] * 10 + [("busy", 486)] * 10) == (True, 10)
    clinic = make_clinic()
    pid = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, 'Ada L', '+14155550132')"
                       " RETURNING id", (clinic["id"],)).fetchone()["id"]
    for i in range(20):
        aid = conn.execute("INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at)"
                           " VALUES (%s, %s, %s, %s) RETURNING id",
                           (clinic["id"], f"A{i}", pid, NOW + timedelta(days=3))).fetchone()["id"]
        att = conn.execute("INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone)"
                           " VALUES (%s, %s, 1, '+14155550132') RETURNING id", (clinic["id"], aid)).fetchone()["id"]
        outcome, code = ("rejected", 403 if i % 4 == 1 else 404) if i % 2 else ("no_answer", 480)
        finish_attempt(conn, att, outcome, now=NOW + timedelta(seconds=i), fields={"sip_status_code": code})
        paused = conn.execute("SELECT paused_reason FROM clinics WHERE id = %s", (clinic["id"],)).fetchone()
        assert (paused["paused_reason"] is not None) == (i == 19), i
    assert "circuit breaker" in paused["paused_reason"]
