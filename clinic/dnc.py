"""Do-not-call list. A number on it is never dialed, by the clinic (clinic_id) or anyone (global)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from clinic import events
from clinic.appointments import service as appointments
from clinic.appointments.models import Status
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


def hand_pending_to_staff(conn: psycopg.Connection[Any], clinic_id: int, phone_e164: str, now: datetime, *,
                          actor: str) -> int:
    """Pending appointments of patients at this number go to staff: the planner skips a DNC'd number
    forever, so left pending they would sit there until it was too late for anyone to call."""
    with conn.cursor(row_factory=tuple_row) as cur:
        ids = [r[0] for r in cur.execute(
            "SELECT a.id FROM appointments a JOIN patients p ON p.id = a.patient_id"
            " WHERE a.clinic_id = %s AND p.phone = %s AND a.status = 'pending'", (clinic_id, phone_e164))]
    moved = appointments.transition_many(conn, ids, Status.STAFF_FOLLOWUP, actor=actor, reason="number_on_dnc",
                                         now=now, only_from={Status.PENDING}, changes={"next_attempt_at": None})
    return len(moved)
