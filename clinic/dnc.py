"""Do-not-call list. A number on it is never dialed, by the clinic (clinic_id) or anyone (global)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from clinic import events
from clinic.phones import mask

SOURCES = ("staff", "patient_request", "wrong_number", "carrier", "import", "api")


def add(
    conn: psycopg.Connection[Any],
    phone_e164: str,
    *,
    clinic_id: int | None,
    reason: str,
    source: str = "staff",
    actor: str = "cli",
) -> bool:
    """Add a number; idempotent. Returns True if it was not on the list before."""
    if clinic_id is None:
        sql = ("INSERT INTO dnc (clinic_id, phone, reason, source) VALUES (NULL, %s, %s, %s)"
               " ON CONFLICT (phone) WHERE clinic_id IS NULL DO NOTHING")
        params: tuple[Any, ...] = (phone_e164, reason, source)
    else:
        sql = ("INSERT INTO dnc (clinic_id, phone, reason, source) VALUES (%s, %s, %s, %s)"
               " ON CONFLICT (clinic_id, phone) WHERE clinic_id IS NOT NULL DO NOTHING")
        params = (clinic_id, phone_e164, reason, source)
    added = conn.execute(sql, params).rowcount == 1
    if added:
        events.record(conn, kind="dnc.added", actor=actor, clinic_id=clinic_id, subject_type="dnc",
                      data={"phone": mask(phone_e164), "source": source})
    return added


def is_blocked(conn: psycopg.Connection[Any], phone_e164: str, clinic_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM dnc WHERE phone = %s AND (clinic_id = %s OR clinic_id IS NULL) LIMIT 1",
        (phone_e164, clinic_id),
    ).fetchone()
    return row is not None


def hand_pending_to_staff(conn: psycopg.Connection[Any], clinic_id: int, phone_e164: str, now: datetime) -> int:
    """Pending appointments of patients at this number go to staff: the planner skips a DNC'd number
    forever, so left pending they would sit there until it was too late for anyone to call."""
    return conn.execute(
        "UPDATE appointments a SET status = 'staff_followup', status_changed_at = %s, updated_at = %s,"
        " next_attempt_at = NULL FROM patients p"
        " WHERE a.patient_id = p.id AND a.clinic_id = %s AND p.phone = %s AND a.status = 'pending'",
        (now, now, clinic_id, phone_e164),
    ).rowcount
