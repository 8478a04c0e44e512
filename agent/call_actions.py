"""The database effect of each decision taken on a call: one short, idempotent transaction each.

Tools (confirmation_agent) are thin: they call these. Repeating one (an LLM that calls a tool twice, a
retried step after a fallback) never double-books, double-cancels or duplicates a DNC row."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agent.call_context import CallInfo
from clinic import dnc, events, outcomes, scheduling
from clinic.clock import get_clock
from clinic.db import connection

ACTOR = "agent"


def confirm(call: CallInfo, now: datetime) -> str:
    """Mark the appointment confirmed (a moved appointment stays 'rescheduled', which is also confirmed)."""
    with connection() as conn:
        row = conn.execute(
            "UPDATE appointments SET status = 'confirmed', status_changed_at = %s, updated_at = %s"
            " WHERE id = %s AND status IN ('pending', 'staff_followup', 'unreachable') RETURNING status",
            (now, now, call.appointment["id"])).fetchone()
        if row:
            events.record(conn, kind="appointment.confirmed", actor=ACTOR, clinic_id=call.clinic["id"],
                          subject_type="appointment", subject_id=call.appointment["id"])
            return row["status"]
        # Already decided (a repeated tool call, or a moved appointment): report what is stored.
        status = conn.execute("SELECT status FROM appointments WHERE id = %s",
                              (call.appointment["id"],)).fetchone()
    return status["status"] if status else "confirmed"


def cancel(call: CallInfo, now: datetime) -> bool:
    """Cancel and free the slot. Returns False when it was already cancelled."""
    with connection() as conn:
        row = conn.execute(
            "UPDATE appointments SET status = 'cancelled', status_changed_at = %s, updated_at = %s"
            " WHERE id = %s AND status <> 'cancelled' RETURNING id", (now, now, call.appointment["id"])).fetchone()
        conn.execute("UPDATE slots SET appointment_id = NULL, booked_at = NULL WHERE appointment_id = %s",
                     (call.appointment["id"],))
        if row:
            events.record(conn, kind="appointment.cancelled", actor=ACTOR, clinic_id=call.clinic["id"],
                          subject_type="appointment", subject_id=call.appointment["id"])
    return row is not None


def find_slots(call: CallInfo, pref: scheduling.Preference, now: datetime, exclude: frozenset[int] = frozenset()
               ) -> list[dict[str, Any]]:
    """Up to three free slots near the patient's wish (at least two hours from now)."""
    with connection() as conn:
        free = scheduling.free_slots(conn, clinic_id=call.clinic["id"], provider=call.appointment.get("provider"),
                                     after=now + timedelta(hours=2))
    return scheduling.choose_slots(free, pref, tz=call.clinic_tz, exclude_ids=exclude)


def is_test_call(call: CallInfo) -> bool:
    """A staff test call (browser or phone) on a test copy of an appointment: its decisions are real for the
    copy, but they must not take anything from real patients (a free slot) or change the clinic's lists (DNC)."""
    return bool(call.appointment.get("is_test"))


def book(call: CallInfo, slot_id: int, now: datetime) -> dict[str, Any]:
    """Book `slot_id` (raises scheduling.SlotTaken if someone else got it first). A test copy moves to the
    slot's time without claiming it: the slot stays free for real patients."""
    if is_test_call(call):
        return _move_test_copy(call, slot_id, now)
    with connection() as conn:
        result = scheduling.book_slot(conn, appointment_id=call.appointment["id"], slot_id=slot_id, now=now)
        appt = conn.execute("SELECT * FROM appointments WHERE id = %s", (call.appointment["id"],)).fetchone()
    if appt:
        call.appointment = appt
    return result


def _move_test_copy(call: CallInfo, slot_id: int, now: datetime) -> dict[str, Any]:
    with connection() as conn:
        slot = conn.execute("SELECT * FROM slots WHERE id = %s AND clinic_id = %s AND appointment_id IS NULL",
                            (slot_id, call.clinic["id"])).fetchone()
        if slot is None:
            raise scheduling.SlotTaken(f"slot {slot_id} is no longer free")
        appt = conn.execute(
            "UPDATE appointments SET starts_at = %s, provider = %s, location = COALESCE(%s, location),"
            " duration_minutes = %s, status = 'rescheduled', status_changed_at = %s, updated_at = %s"
            " WHERE id = %s AND is_test RETURNING *",
            (slot["starts_at"], slot["provider"], slot["location"], slot["duration_minutes"], now, now,
             call.appointment["id"])).fetchone()
        events.record(conn, kind="appointment.rescheduled", actor=ACTOR, clinic_id=call.clinic["id"],
                      subject_type="appointment", subject_id=call.appointment["id"],
                      data={"to": slot["starts_at"].isoformat(), "slot_id": slot_id, "test_copy": True})
    if appt:
        call.appointment = appt
    return {"already": False, "starts_at": slot["starts_at"], "slot_id": slot_id}


def request_callback(call: CallInfo, at: datetime, now: datetime) -> datetime:
    """Store when the patient wants to be called back."""
    with connection() as conn:
        conn.execute("UPDATE appointments SET callback_at = %s, updated_at = %s WHERE id = %s",
                     (at, now, call.appointment["id"]))
    return at


def add_to_dnc(call: CallInfo, source: str) -> bool:
    """`source` is 'patient_request' (stop calling) or 'wrong_number'. Returns whether a row was added (never
    on a test call)."""
    if is_test_call(call):
        # Practising "stop calling me" must not put the tester's (or the browser call's) number on the list.
        return False
    reason = "patient asked to stop calling" if source == "patient_request" else "wrong number reported on call"
    with connection() as conn:
        added = dnc.add(conn, call.phone, clinic_id=call.clinic["id"], reason=reason, source=source, actor=ACTOR)
        # Settle in the same transaction: if this call is later reaped as `lost`, or its end is never
        # written, the planner would skip the number forever (DNC) and leave the appointments pending.
        dnc.hand_pending_to_staff(conn, call.clinic["id"], call.phone, get_clock().now())
        return added


def end_attempt_on_dnc(attempt_id: int, now: datetime) -> dict[str, Any]:
    """The number went on a DNC list after the attempt was planned: never dial it."""
    with connection() as conn:
        return outcomes.end_undialed_on_dnc(conn, attempt_id, now=now, error="number on DNC", actor=ACTOR)
