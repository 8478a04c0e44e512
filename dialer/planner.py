"""The planner ("hopper"): at one instant, which appointments get a call attempt now, and why not the others.

Runs every tick (beat) for each clinic, and on demand for one instant (`python -m dialer plan`).
Safety rests on three locks, so any number of planners may run at once:
- a per-clinic transaction advisory lock: one planner at a time fills a clinic's free capacity;
- `SELECT ... FOR UPDATE SKIP LOCKED` on appointments: a row being planned elsewhere is skipped;
- a per-(clinic, number) advisory lock while the guardrail counts are read and the attempt inserted,
  so two appointments sharing a phone cannot both pass the 1-call-a-day check;
and on the database's unique index allowing one in-flight attempt per appointment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from clinic import events
from clinic.retry_policy import RetryPolicy
from clinic.settings import get_settings
from dialer import guardrails
from dialer.calling_window import ClinicWindow, why_not_callable

_CLINIC_LOCK = 7_420_300  # advisory lock namespace: one planner per clinic at a time
_NUMBER_LOCK = 7_420_301  # namespace for (clinic, number) guardrail locks
PAGE = 200


@dataclass
class PlanResult:
    clinic_id: int
    dial: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"dial": [{"external_id": d["external_id"], "appointment_id": d["appointment_id"]} for d in self.dial],
                "skipped": [{"external_id": s["external_id"], "reason": s["reason"]} for s in self.skipped]}


_CANDIDATES = """
SELECT a.id, a.external_id, a.attempts_count, a.starts_at, a.next_attempt_at, a.status,
       coalesce(a.timezone, p.timezone) AS patient_tz, p.phone
FROM appointments a JOIN patients p ON p.id = a.patient_id
WHERE a.clinic_id = %(clinic)s AND a.status = 'pending'
  AND a.starts_at >= %(from)s AND a.starts_at <= %(to)s
  AND (a.next_attempt_at IS NULL OR a.next_attempt_at <= %(now)s)
  AND a.attempts_count < %(max_attempts)s
  AND NOT EXISTS (SELECT 1 FROM call_attempts c WHERE c.appointment_id = a.id AND c.outcome IS NULL)
  AND NOT EXISTS (SELECT 1 FROM dnc d WHERE d.phone = p.phone AND (d.clinic_id = a.clinic_id OR d.clinic_id IS NULL))
  AND (a.starts_at, a.id) > (%(after_start)s, %(after)s)
ORDER BY a.starts_at, a.id
LIMIT %(limit)s
FOR UPDATE OF a SKIP LOCKED
"""

_ALL_UPCOMING = """
SELECT a.id, a.external_id, a.attempts_count, a.starts_at, a.next_attempt_at, a.status,
       coalesce(a.timezone, p.timezone) AS patient_tz, p.phone,
       EXISTS (SELECT 1 FROM call_attempts c WHERE c.appointment_id = a.id AND c.outcome IS NULL) AS in_flight,
       EXISTS (SELECT 1 FROM dnc d WHERE d.phone = p.phone
               AND (d.clinic_id = a.clinic_id OR d.clinic_id IS NULL)) AS on_dnc
FROM appointments a JOIN patients p ON p.id = a.patient_id
WHERE a.clinic_id = %(clinic)s AND a.status IN ('pending', 'unreachable') AND a.starts_at > %(now)s
ORDER BY a.starts_at, a.id
"""


def _static_reason(row: dict[str, Any], clinic: dict[str, Any], now: datetime, max_attempts: int) -> str | None:
    """Reasons that need no lock (dry-run explanation, same order of checks as the real query)."""
    if row["status"] == "unreachable" or row["attempts_count"] >= max_attempts:
        return "exhausted"
    if row["in_flight"]:
        return "in_flight"
    if row["on_dnc"]:
        return "dnc"
    if not (now + clinic["call_ahead_min"] <= row["starts_at"] <= now + clinic["call_ahead_max"]):
        return "not_due"
    if row["next_attempt_at"] is not None and row["next_attempt_at"] > now:
        return "not_due"
    return None


def _in_flight_count(conn: psycopg.Connection[Any], clinic_id: int) -> int:
    row = conn.execute("SELECT count(*) AS n FROM call_attempts WHERE clinic_id = %s AND outcome IS NULL",
                       (clinic_id,)).fetchone()
    return int(row["n"]) if row else 0


def _insert_attempt(conn: psycopg.Connection[Any], clinic: dict[str, Any], appt: dict[str, Any], now: datetime,
                    mode: str) -> int:
    clinic_id = clinic["id"]
    row = conn.execute(
        """WITH n AS (SELECT nextval(pg_get_serial_sequence('call_attempts', 'id')) AS id)
           INSERT INTO call_attempts (id, clinic_id, appointment_id, attempt_number, phone, mode, status,
                                      planned_at, room_name, created_at, updated_at)
           SELECT n.id, %(clinic)s, %(appt)s,
                  coalesce((SELECT max(attempt_number) FROM call_attempts WHERE appointment_id = %(appt)s), 0) + 1,
                  %(phone)s, %(mode)s, 'planned', %(now)s, 'call-' || n.id, %(now)s, %(now)s
           FROM n RETURNING id""",
        {"clinic": clinic_id, "appt": appt["id"], "phone": appt["phone"], "mode": mode, "now": now},
    ).fetchone()
    assert row is not None
    # Appointments imported after the night's batch was built join it when they become due.
    conn.execute(
        "INSERT INTO batch_appointments (batch_id, appointment_id, added_at)"
        " SELECT b.id, %s, %s FROM batches b WHERE b.clinic_id = %s AND b.batch_date = %s::date"
        " ON CONFLICT DO NOTHING",
        (appt["id"], now, clinic_id, now.astimezone(ZoneInfo(clinic["timezone"])).date()))
    return int(row["id"])


def explain(conn: psycopg.Connection[Any], clinic: dict[str, Any], now: datetime) -> PlanResult:
    """Dry run: who would be dialed at `now` and, for every other upcoming appointment, why not.

    Read-only and lock-free, so it can be asked about any instant, past or future; the real tick applies
    the same rules under locks.
    """
    result = PlanResult(clinic["id"])
    max_attempts = RetryPolicy.from_overrides(clinic["retry_policy"]).max_attempts
    rows = conn.execute(_ALL_UPCOMING, {"clinic": clinic["id"], "now": now}).fetchall()
    window = ClinicWindow.from_clinic_row(clinic)
    limits = guardrails.Limits.from_clinic_row(clinic)
    counts = guardrails.counts(conn, clinic["id"], sorted({r["phone"] for r in rows}), now, clinic["timezone"])
    free = max(0, clinic["max_concurrent_calls"] - _in_flight_count(conn, clinic["id"]))
    planned_numbers: dict[str, int] = {}
    for row in rows:
        reason = _static_reason(row, clinic, now, max_attempts)
        if reason is None and clinic["paused_at"] is not None:
            reason = "paused"
        if reason is None:
            reason = why_not_callable(window, row["patient_tz"], now)
            reason = "outside_window" if reason == "closed_day" else reason
        if reason is None:
            today, week = counts[row["phone"]]
            extra = planned_numbers.get(row["phone"], 0)
            reason = guardrails.check(limits, today + extra, week + extra)
        if reason is None and len(result.dial) >= free:
            reason = "capacity"
        if reason is None:
            planned_numbers[row["phone"]] = planned_numbers.get(row["phone"], 0) + 1
            result.dial.append({"external_id": row["external_id"], "appointment_id": row["id"]})
        else:
            result.skipped.append({"external_id": row["external_id"], "appointment_id": row["id"], "reason": reason})
    return result


def plan_clinic(conn: psycopg.Connection[Any], clinic: dict[str, Any], now: datetime,
                mode: str | None = None) -> PlanResult:
    """Create attempts for the clinic's due appointments up to its free capacity, in the caller's
    transaction (commit, then enqueue dispatches for `result.dial`). Returns an empty result when
    another planner holds the clinic, or when the clinic is paused."""
    result = PlanResult(clinic["id"])
    if clinic["paused_at"] is not None:
        return result
    got = conn.execute("SELECT pg_try_advisory_xact_lock(%s, %s) AS ok", (_CLINIC_LOCK, clinic["id"])).fetchone()
    if not got or not got["ok"]:
        return result
    free = clinic["max_concurrent_calls"] - _in_flight_count(conn, clinic["id"])
    if free <= 0:
        return result
    mode = mode or get_settings().dialer_call_mode
    window = ClinicWindow.from_clinic_row(clinic)
    limits = guardrails.Limits.from_clinic_row(clinic)
    max_attempts = RetryPolicy.from_overrides(clinic["retry_policy"]).max_attempts
    params = {"clinic": clinic["id"], "now": now, "from": now + clinic["call_ahead_min"],
              "to": now + clinic["call_ahead_max"], "max_attempts": max_attempts, "after": 0,
              "after_start": now, "limit": PAGE}
    while free > 0:
        rows = conn.execute(_CANDIDATES, params).fetchall()
        if not rows:
            break
        params["after"], params["after_start"] = rows[-1]["id"], rows[-1]["starts_at"]
        for row in rows:
            if why_not_callable(window, row["patient_tz"], now) is not None:
                continue
            if free <= 0:
                break
            if limits.enabled:
                locked = conn.execute("SELECT pg_try_advisory_xact_lock(%s, hashtext(%s)) AS ok",
                                      (_NUMBER_LOCK, f"{clinic['id']}:{row['phone']}")).fetchone()
                if not locked or not locked["ok"]:
                    continue
                today, week = guardrails.counts(conn, clinic["id"], [row["phone"]], now, clinic["timezone"])[
                    row["phone"]]
                if guardrails.check(limits, today, week):
                    continue
            attempt_id = _insert_attempt(conn, clinic, row, now, mode)
            result.dial.append({"external_id": row["external_id"], "appointment_id": row["id"],
                                "attempt_id": attempt_id})
            free -= 1
        if len(rows) < PAGE:
            break
    if result.dial:
        events.record(conn, kind="planner.planned", actor="dialer", clinic_id=clinic["id"],
                      data={"attempts": [d["attempt_id"] for d in result.dial]})
    return result


def tick(now: datetime, enqueue: Callable[[int], None], *, clinic_ids: list[int] | None = None,
         url: str | None = None) -> list[PlanResult]:
    """One planner pass over every clinic (or the given ones): plan, commit, then enqueue dispatches.

    Enqueueing after commit means a dispatch task never sees an attempt that might still roll back; if
    the process dies between commit and enqueue, the reaper turns the planned attempt into `lost` and
    the appointment is retried.
    """
    from clinic.db import connection

    results = []
    with connection(url) as conn:
        ids = clinic_ids or [r["id"] for r in conn.execute("SELECT id FROM clinics WHERE paused_at IS NULL"
                                                           " ORDER BY id").fetchall()]
    for clinic_id in ids:
        with connection(url) as conn:
            clinic = conn.execute("SELECT * FROM clinics WHERE id = %s", (clinic_id,)).fetchone()
            if clinic is None:
                continue
            result = plan_clinic(conn, clinic, now)
            conn.commit()
        for d in result.dial:
            enqueue(d["attempt_id"])
        results.append(result)
    return results
