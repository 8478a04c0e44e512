"""Reading appointment-domain records, and the one writer of an appointment's status.

`transition` (and its bulk form `transition_many`) is the only code that changes `appointments.status`: the
agent's tools, the end of an attempt (retry policy), quarantine, the DNC hand-over to staff and the call-list
import (a moved appointment starts over) all go through it, so every status change is guarded the
same way (`only_from`, checked under a row lock), stamps `status_changed_at` only when the status really
changes, and leaves one audit event `appointment.<new status>` saying who did it and why. The other writes to
an appointment's row (`update`, `apply_call_list_rows`) live here too, so `UPDATE appointments` appears in no
other module (tests/architecture/test_one_owner.py).

Every function works in the caller's transaction; the caller commits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, TypedDict

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from clinic.appointments.models import Appointment, Attempt, Clinic, Outcome, Status


class Changes(TypedDict, total=False):
    """Columns written together with a status change (or by `update`). A key left out keeps its value; a key
    given as None stores NULL."""

    starts_at: datetime
    duration_minutes: int
    provider: str | None
    location: str | None
    attempts_count: int
    next_attempt_at: datetime | None
    last_outcome: Outcome | None
    voicemail_left: bool
    callback_at: datetime | None


_CHANGEABLE = frozenset(Changes.__annotations__)

# What a new start time from the clinic's call list undoes: the confirmation and the calling so far.
START_OVER: Changes = {"attempts_count": 0, "next_attempt_at": None, "voicemail_left": False, "callback_at": None}


def get_appointment(conn: psycopg.Connection[Any], appointment_id: int, *, for_update: bool = False
                    ) -> Appointment | None:
    lock = " FOR UPDATE" if for_update else ""
    row = _one(conn, f"SELECT * FROM appointments WHERE id = %s{lock}", appointment_id)
    return None if row is None else Appointment.from_row(row)


def get_clinic(conn: psycopg.Connection[Any], clinic_id: int) -> Clinic | None:
    row = _one(conn, "SELECT * FROM clinics WHERE id = %s", clinic_id)
    return None if row is None else Clinic.from_row(row)


def get_attempt(conn: psycopg.Connection[Any], attempt_id: int, *, for_update: bool = False) -> Attempt | None:
    lock = " FOR UPDATE" if for_update else ""
    row = _one(conn, f"SELECT * FROM call_attempts WHERE id = %s{lock}", attempt_id)
    return None if row is None else Attempt.from_row(row)


def transition(conn: psycopg.Connection[Any], appointment_id: int, to: Status, *, actor: str, reason: str,
               now: datetime, only_from: Collection[Status] | None = None, changes: Changes | None = None,
               event: Mapping[str, Any] | None = None) -> Appointment | None:
    """Move one appointment to `to` (with `changes`) and record why.

    `only_from`: the statuses the move is allowed from; the appointment is locked and checked, so two writers
    racing (a tool and the reaper) cannot both win. Returns the stored appointment, or None when it does not
    exist or its status was not in `only_from` (nothing written then).

    The audit event `appointment.<to>` (subject: the appointment; data: `from_status`, `reason` and `event`)
    is written when the status changes, and when `changes` move the appointment to a new time (a second
    reschedule keeps the status). Otherwise moving to the status it already has only writes `changes` (an
    attempt's result on a pending appointment: the attempt's own event says it) and keeps `status_changed_at`.
    """
    done = transition_many(conn, [appointment_id], to, actor=actor, reason=reason, now=now, only_from=only_from,
                           changes=changes, event=event)
    return done[0] if done else None


def transition_many(conn: psycopg.Connection[Any], appointment_ids: Iterable[int], to: Status, *, actor: str,
                    reason: str, now: datetime, only_from: Collection[Status] | None = None,
                    changes: Changes | None = None, event: Mapping[str, Any] | None = None) -> list[Appointment]:
    """`transition` for a set of appointments in one statement (the DNC hand-over, a call list moving many
    appointments). Returns those moved; one audit event each, under the same rule."""
    ids = list(appointment_ids)
    if not ids:
        return []
    to = Status(to)
    values = _change_values(changes or {})
    params: dict[str, Any] = {"ids": ids, "to": to.value, "now": now, **values}
    guard = sql.SQL("")
    if only_from is not None:
        guard = sql.SQL(" AND status = ANY(%(only_from)s)")
        params["only_from"] = [Status(s).value for s in only_from]
    query = sql.SQL(
        "WITH old AS (SELECT id, status FROM appointments WHERE id = ANY(%(ids)s){guard} ORDER BY id FOR UPDATE)"
        " UPDATE appointments a SET status = %(to)s,"
        " status_changed_at = CASE WHEN a.status = %(to)s THEN a.status_changed_at ELSE %(now)s END,"
        " updated_at = %(now)s{sets}"
        " FROM old WHERE a.id = old.id RETURNING a.*, old.status AS from_status").format(
            guard=guard, sets=sql.Composed([sql.SQL(", ") + s for s in _assignments(values)]))
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
    # A new status, or a new time (a second reschedule keeps the status), is always audited.
    audited = [r for r in rows if r["from_status"] != to.value or "c_starts_at" in values]
    if audited:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO events (clinic_id, actor, kind, subject_type, subject_id, data)"
                " VALUES (%s, %s, %s, 'appointment', %s, %s)",
                [(r["clinic_id"], actor, f"appointment.{to.value}", r["id"],
                  Jsonb({"from_status": r["from_status"], "reason": reason, **(event or {})})) for r in audited])
    return [Appointment.from_row(r) for r in rows]


def update(conn: psycopg.Connection[Any], appointment_id: int, changes: Changes, *, now: datetime) -> bool:
    """Write `changes` without touching the status (a callback time, an attempt's result on an appointment
    someone else already settled). Returns whether the appointment exists."""
    if not changes:
        raise ValueError("update needs at least one change")
    values = _change_values(changes)
    query = sql.SQL("UPDATE appointments SET {sets}, updated_at = %(now)s WHERE id = %(id)s").format(
        sets=sql.SQL(", ").join(_assignments(values)))
    return conn.execute(query, {**values, "now": now, "id": appointment_id}).rowcount == 1


def apply_call_list_rows(conn: psycopg.Connection[Any], *, clinic_id: int, call_list_id: int, actor: str,
                         now: datetime) -> tuple[int, int]:
    """The set-based half of a call-list import (clinic.call_lists.importer), kept here because it writes
    appointments: the importer has staged the chunk's valid rows in `call_list_stage` and the existing
    appointments whose row changed in `call_list_changed` (id, line, file_moved, reset, provider_changed).

    A changed row updates the appointment's data (its start only when the file moved it). When that new start
    differs from the current one (`reset`: the agent had not already moved it there) the appointment starts
    over through `transition_many` (pending, no attempts, no voicemail, no callback), with its audit event.
    Returns (appointments updated, appointments started over)."""
    params = {"c": clinic_id, "list": call_list_id}
    updated = conn.execute("""
        UPDATE appointments a SET
               patient_id = p.id,
               starts_at = CASE WHEN c.file_moved THEN s.starts_at ELSE a.starts_at END,
               imported_starts_at = s.starts_at,
               duration_minutes = s.duration_minutes, provider = s.provider, location = s.location,
               timezone = s.timezone, notes = s.notes, row_hash = s.row_hash, call_list_id = %(list)s,
               updated_at = now()
          FROM call_list_changed c JOIN call_list_stage s ON s.line = c.line
          JOIN patients p ON p.clinic_id = %(c)s AND p.phone = s.phone AND lower(p.full_name) = lower(s.patient_name)
         WHERE a.id = c.id""", params).rowcount
    with conn.cursor(row_factory=dict_row) as cur:
        reset = [r["id"] for r in cur.execute("SELECT id FROM call_list_changed WHERE reset").fetchall()]
    transition_many(conn, reset, Status.PENDING, actor=actor, reason="call_list_moved_appointment", now=now,
                    changes=START_OVER)
    return updated, len(reset)


def _change_values(changes: Changes) -> dict[str, Any]:
    """`changes` as query parameters (prefixed, so a column never collides with the query's own names)."""
    unknown = set(changes) - _CHANGEABLE
    if unknown:
        raise ValueError(f"appointments: cannot change {sorted(unknown)} here (allowed: {sorted(_CHANGEABLE)})")
    return {f"c_{k}": (v.value if isinstance(v, Outcome) else v) for k, v in changes.items()}


def _assignments(values: Mapping[str, Any]) -> list[sql.Composed]:
    return [sql.SQL("{} = {}").format(sql.Identifier(k.removeprefix("c_")), sql.Placeholder(k)) for k in values]


def _one(conn: psycopg.Connection[Any], query: str, key: int) -> dict[str, Any] | None:
    """One row as a dict whatever the connection's row factory (the pool's is dict_row; a plain
    psycopg.connect gives tuples)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, (key,)).fetchone()
