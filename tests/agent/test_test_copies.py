"""A staff test call works on a test copy of an appointment (`is_test`): its decisions are real for the copy,
but practising must not take a free slot from real patients or put a number on the do-not-call list."""

from __future__ import annotations

from typing import Any

import psycopg

from agent import call_actions
from agent.call_context import load_call
from clinic import dnc
from tests.agent.conftest import NOW


def _as_test_copy(conn: psycopg.Connection[dict[str, Any]], world: dict[str, Any]) -> Any:
    conn.execute("UPDATE appointments SET is_test = true WHERE id = %s", (world["appointment"]["id"],))
    conn.commit()
    call = load_call(conn, world["attempt"]["id"])
    conn.rollback()
    return call


def test_a_test_copy_moves_without_taking_the_slot(world: dict[str, Any], conn: psycopg.Connection[Any]) -> None:
    call = _as_test_copy(conn, world)
    slot = conn.execute("SELECT * FROM slots WHERE appointment_id IS NULL ORDER BY starts_at DESC LIMIT 1").fetchone()
    conn.rollback()
    result = call_actions.book(call, slot["id"], NOW)
    assert result["starts_at"] == slot["starts_at"]
    appt = conn.execute("SELECT * FROM appointments WHERE id = %s", (world["appointment"]["id"],)).fetchone()
    assert appt["status"] == "rescheduled" and appt["starts_at"] == slot["starts_at"]
    still = conn.execute("SELECT appointment_id FROM slots WHERE id = %s", (slot["id"],)).fetchone()
    assert still["appointment_id"] is None   # a real patient can still have it


def test_a_real_appointment_still_takes_the_slot(world: dict[str, Any], conn: psycopg.Connection[Any]) -> None:
    call = load_call(conn, world["attempt"]["id"])
    slot = conn.execute("SELECT * FROM slots WHERE appointment_id IS NULL ORDER BY starts_at DESC LIMIT 1").fetchone()
    conn.rollback()
    call_actions.book(call, slot["id"], NOW)
    held = conn.execute("SELECT appointment_id FROM slots WHERE id = %s", (slot["id"],)).fetchone()
    assert held["appointment_id"] == world["appointment"]["id"]


def test_stop_calling_on_a_test_call_leaves_the_dnc_list_alone(world: dict[str, Any],
                                                               conn: psycopg.Connection[Any]) -> None:
    call = _as_test_copy(conn, world)
    assert call_actions.add_to_dnc(call, "patient_request") is False
    assert call_actions.add_to_dnc(call, "wrong_number") is False
    assert not dnc.is_blocked(conn, call.phone, world["clinic"]["id"])
