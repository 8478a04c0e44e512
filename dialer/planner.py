"""The planner ("hopper"): at one instant, which appointments get a call attempt now, and why not the others.

Runs every tick (beat) for each clinic, and on demand for one instant (`python -m dialer plan`).
A tick is set-based, a handful of statements whatever the number of calls it plans:
1. `pg_try_advisory_xact_lock(clinic)`: one planner at a time fills a clinic's free capacity;
2. the clinic's in-flight count (read after the lock, so a planner that just committed is seen);
3. one candidate query per page: due appointments with DNC, in-flight, exhaustion and the guardrail
   counts (a LATERAL probe of the (clinic_id, phone, planned_at) index) evaluated in SQL, locked with
   `FOR UPDATE SKIP LOCKED` so a row being planned elsewhere is skipped; the calling window, a pure
   function, is applied to the page in Python, as is the guardrail for numbers picked twice in one page
   (`Verdicts`, the one predicate the dry run `explain` also decides with, over the same SQL rules);
4. one INSERT of all chosen attempts, which takes each number's advisory lock in bulk
   (`pg_try_advisory_xact_lock` per row; a number held elsewhere is simply not planned this tick) and
   joins the appointments to the night's batch in the same statement;
5. one audit event.
Guardrails count per clinic and the clinic lock serialises planners per clinic, so counts read in
step 3 (a statement started after the lock was granted) already include every committed attempt; the
per-number lock additionally shuts out any other writer of attempts that takes it. The database's
unique index still allows one in-flight attempt per appointment whatever happens above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from clinic import events, readiness
from clinic.calling_calendar import ClinicCalendar
from clinic.logs import get_logger
from clinic.retry_policy import RetryPolicy
from clinic.settings import get_settings
from dialer import guardrails
from dialer.calling_window import ClinicWindow, why_not_callable
from dialer.isolation import report_failure
from dialer.patient_state import state_for_phone

log = get_logger("dialer.planner")

_CLINIC_LOCK = 7_420_300  # advisory lock namespace: one planner per clinic at a time
_NUMBER_LOCK = 7_420_301  # namespace for (clinic, number) guardrail locks
PAGE = 200


@dataclass
class PlanResult:
    clinic_id: int
    dial: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    not_ready: list[str] = field(default_factory=list)  # what the clinic lacks (clinic.readiness); empty = ready
    failed: list[int] = field(default_factory=list)     # appointment ids whose check raised (logged, skipped)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dial": [{"external_id": d["external_id"], "appointment_id": d["appointment_id"]} for d in self.dial],
            "skipped": [{"external_id": s["external_id"], "reason": s["reason"]} for s in self.skipped]}
        if self.not_ready:
            out["not_ready"] = self.not_ready
        return out


_IN_FLIGHT = "EXISTS (SELECT 1 FROM call_attempts c WHERE c.appointment_id = a.id AND c.outcome IS NULL)"
_ON_DNC = ("EXISTS (SELECT 1 FROM dnc d WHERE d.phone = p.phone"
           " AND (d.clinic_id = a.clinic_id OR d.clinic_id IS NULL))")

_CALLBACK_DUE = guardrails.callback_due_sql("a")

# The appointment rules that SQL decides, each as (reason, condition under which the rule lets the row
# through), in the order the dry run reports them. They are written here once: the tick's candidate query
# ANDs them into its WHERE (so the indexes and `FOR UPDATE SKIP LOCKED` see them), and both queries also
# return each as a boolean column `ok_<reason>` that `Verdicts.reason` reads. `coalesce(..., false)` in
# the columns makes a NULL fail the rule exactly as it fails the WHERE.
_SQL_RULES: tuple[tuple[str, str], ...] = (
    ("exhausted", "a.status = 'pending' AND a.attempts_count < %(max_attempts)s"),
    ("in_flight", f"NOT {_IN_FLIGHT}"),
    ("dnc", f"NOT {_ON_DNC}"),
    # An appointment that has started is never due, whatever the call-ahead minimum (0 would allow it).
    ("not_due", "a.starts_at > %(now)s AND a.starts_at >= %(from)s AND a.starts_at <= %(to)s"
                " AND (a.next_attempt_at IS NULL OR a.next_attempt_at <= %(now)s)"),
    ("guardrail", guardrails.allows_sql("g.today", "g.week", _CALLBACK_DUE)),
)
_SQL_REASONS = tuple(reason for reason, _ in _SQL_RULES)


def _query(*, tick: bool) -> str:
    """The appointments query. `tick=True`: only rows every SQL rule lets through, one page in (starts_at,
    id) order, locked with SKIP LOCKED (the tick). `tick=False`: every upcoming appointment that is pending
    or unreachable, in the same order (the dry run, which then gives each its reason)."""
    flags = ", ".join(f"coalesce(({cond}), false) AS ok_{reason}" for reason, cond in _SQL_RULES)
    where = ["a.clinic_id = %(clinic)s", "NOT a.is_test"]
    if tick:
        where += [f"({cond})" for _, cond in _SQL_RULES]
        where.append("(a.starts_at, a.id) > (%(after_start)s, %(after)s)")
    else:
        where += ["a.status IN ('pending', 'unreachable')", "a.starts_at > %(now)s"]
    return (f"SELECT a.id, a.external_id, a.starts_at, coalesce(a.timezone, p.timezone) AS patient_tz, p.phone,"
            f" g.today, g.week, {_CALLBACK_DUE} AS callback_due, {flags}"
            f" FROM appointments a JOIN patients p ON p.id = a.patient_id"
            f" CROSS JOIN {guardrails.lateral_counts('p.phone', 'a.clinic_id')} g"
            f" WHERE {' AND '.join(where)} ORDER BY a.starts_at, a.id"
            + (" LIMIT %(limit)s FOR UPDATE OF a SKIP LOCKED" if tick else ""))


_CANDIDATES = _query(tick=True)
_ALL_UPCOMING = _query(tick=False)

# All chosen attempts in one statement. Rows whose number lock is held elsewhere drop out before they
# take an id; attempt numbers continue each appointment's history; late imports join today's batch.
_INSERT = """
WITH picked AS (
    SELECT t.appointment_id, t.phone, nextval(pg_get_serial_sequence('call_attempts', 'id')) AS id
    FROM unnest(%(appointments)s::bigint[], %(phones)s::text[]) AS t(appointment_id, phone)
    WHERE NOT %(guarded)s OR pg_try_advisory_xact_lock(%(ns)s, hashtext(%(clinic)s::text || ':' || t.phone))
), ins AS (
    INSERT INTO call_attempts (id, clinic_id, appointment_id, attempt_number, phone, mode, status, planned_at,
                               room_name, created_at, updated_at)
    SELECT picked.id, %(clinic)s, picked.appointment_id,
           coalesce((SELECT max(c.attempt_number) FROM call_attempts c
                     WHERE c.appointment_id = picked.appointment_id), 0) + 1,
           picked.phone, %(mode)s, 'planned', %(now)s, 'call-' || picked.id, %(now)s, %(now)s
    FROM picked
    RETURNING id, appointment_id
), joined AS (
    INSERT INTO batch_appointments (batch_id, appointment_id, added_at)
    SELECT b.id, ins.appointment_id, %(now)s FROM ins
    JOIN batches b ON b.clinic_id = %(clinic)s AND b.batch_date = %(today)s
    ON CONFLICT DO NOTHING
)
SELECT id, appointment_id FROM ins
"""


class Verdicts:
    """The planner's decision for one clinic at one instant, one appointment at a time.

    Fed rows of `_query` in (starts_at, id) order, `reason(row)` returns None when the appointment is
    dialed now, else the first reason it is not. The tick feeds it the candidate pages (every SQL rule
    already passed); the dry run feeds it every upcoming appointment and prints the reasons. Both go
    through this one method, so the dry run cannot say something the tick does not do. What the dry run
    cannot see are other writers: a row locked by another transaction or a number whose lock another
    planner holds is left for the next tick (the tick may then give its capacity to the next row).
    """

    def __init__(self, clinic: dict[str, Any], now: datetime, free: int, gate: str | None) -> None:
        self.clinic_id = clinic["id"]
        self.now = now
        self.window = ClinicWindow.from_clinic_row(clinic)
        self.limits = guardrails.Limits.from_clinic_row(clinic)
        self.free = max(0, free)
        self.gate = gate                        # "paused" / "not_ready": nothing is dialed
        self.chosen = 0
        self.numbers: dict[str, int] = {}        # numbers chosen earlier in this pass (siblings share a phone)
        self.errors: list[tuple[int, Exception]] = []

    @property
    def full(self) -> bool:
        return self.chosen >= self.free

    def reason(self, row: dict[str, Any]) -> str | None:
        for name in _SQL_REASONS:                # exhausted, in_flight, dnc, not_due (guardrail: after the window)
            if name != "guardrail" and not row[f"ok_{name}"]:
                return name
        if self.gate is not None:
            return self.gate
        try:
            why = why_not_callable(self.window, row["patient_tz"], self.now, state_for_phone(row["phone"]),
                                   row["phone"])
        except Exception as exc:  # a row the rules cannot read (an unknown zone name): never dial it
            self.errors.append((row["id"], exc))
            return "error"
        if why is not None:
            return "outside_window"              # closed days included: the dry run's one word for "not now"
        extra = self.numbers.get(row["phone"], 0)
        if not row["ok_guardrail"] or (extra and guardrails.check(
                self.limits, row["today"] + extra, row["week"] + extra, requested_callback=row["callback_due"])):
            return "guardrail"
        if self.full:
            return "capacity"
        self.numbers[row["phone"]] = extra + 1
        self.chosen += 1
        return None


def _gate(conn: psycopg.Connection[Any], clinic: dict[str, Any], now: datetime) -> tuple[str | None, list[str]]:
    """What stops the whole clinic, and what it lacks: "paused" (the clinic, or its batch for the calling
    day), else "not_ready" when it lacks what a call needs (clinic.readiness, named in the list), else None."""
    missing = list(readiness.check_db(conn, clinic, now).missing)
    if clinic["paused_at"] is not None or batch_paused_at(conn, clinic, now) is not None:
        return "paused", missing
    return ("not_ready" if missing else None), missing


def _in_flight_count(conn: psycopg.Connection[Any], clinic_id: int) -> int:
    row = conn.execute("SELECT count(*) AS n FROM call_attempts WHERE clinic_id = %s AND outcome IS NULL",
                       (clinic_id,)).fetchone()
    return int(row["n"]) if row else 0


def _count_params(clinic: dict[str, Any], now: datetime) -> dict[str, Any]:
    day_start, week_start = guardrails.window_starts(now, clinic["timezone"])
    return {"clinic": clinic["id"], "now": now, "day_start": day_start, "week_start": week_start}


def batch_paused_at(conn: psycopg.Connection[Any], clinic: dict[str, Any], now: datetime) -> datetime | None:
    """When the clinic's batch for the calling day containing `now` (clinic calendar) was paused, else None.

    Staff pause a night's batch from the API (`POST /api/batches/{id}/pause`); every appointment the
    planner would dial today belongs to that batch (late imports join it as they are dialed), so a paused
    batch stops the clinic's planning for the day. `python -m dialer pause` stays clinic-wide.
    """
    row = conn.execute("SELECT paused_at FROM batches WHERE clinic_id = %s AND batch_date = %s",
                       (clinic["id"], ClinicCalendar.from_clinic_row(clinic).day_of(now))).fetchone()
    return row["paused_at"] if row else None


def explain(conn: psycopg.Connection[Any], clinic: dict[str, Any], now: datetime) -> PlanResult:
    """Dry run: who would be dialed at `now` and, for every other upcoming appointment, why not.

    Read-only and lock-free, so it can be asked about any instant, past or future. The decision is the
    tick's own (`Verdicts` over the same rules, in the same order); tests/dialer/test_plan_agreement.py
    checks the two agree over random clinics, appointments and instants.
    """
    result = PlanResult(clinic["id"])
    gate, result.not_ready = _gate(conn, clinic, now)
    verdicts = Verdicts(clinic, now, clinic["max_concurrent_calls"] - _in_flight_count(conn, clinic["id"]), gate)
    for row in conn.execute(_ALL_UPCOMING, candidate_params(clinic, now)).fetchall():
        reason = verdicts.reason(row)
        if reason is None:
            result.dial.append({"external_id": row["external_id"], "appointment_id": row["id"]})
        else:
            result.skipped.append({"external_id": row["external_id"], "appointment_id": row["id"], "reason": reason})
    for appointment_id, exc in verdicts.errors:
        report_failure(None, "planner.explain", appointment_id, exc, clinic_id=clinic["id"])
        result.failed.append(appointment_id)
    return result


def candidate_params(clinic: dict[str, Any], now: datetime, limit: int = PAGE) -> dict[str, Any]:
    """Parameters of the candidate query for the clinic at `now` (first page)."""
    limits = guardrails.Limits.from_clinic_row(clinic)
    return {**_count_params(clinic, now), "from": now + clinic["call_ahead_min"],
            "to": now + clinic["call_ahead_max"],
            "max_attempts": RetryPolicy.from_overrides(clinic["retry_policy"]).max_attempts,
            "guarded": limits.enabled, "per_day": limits.per_day, "per_week": limits.per_week,
            "after": 0, "after_start": now, "limit": limit}


def plan_clinic(conn: psycopg.Connection[Any], clinic: dict[str, Any], now: datetime,
                mode: str | None = None) -> PlanResult:
    """Create attempts for the clinic's due appointments up to its free capacity, in the caller's
    transaction (commit, then enqueue dispatches for `result.dial`). Returns an empty result when
    another planner holds the clinic, or when the clinic or its batch for today is paused."""
    result = PlanResult(clinic["id"])
    gate, result.not_ready = _gate(conn, clinic, now)
    if gate is not None:  # every appointment's verdict would be the gate: nothing to read or lock
        return result
    got = conn.execute("SELECT pg_try_advisory_xact_lock(%s, %s) AS ok", (_CLINIC_LOCK, clinic["id"])).fetchone()
    if not got or not got["ok"]:
        return result
    verdicts = Verdicts(clinic, now, clinic["max_concurrent_calls"] - _in_flight_count(conn, clinic["id"]), None)
    params = candidate_params(clinic, now)
    chosen: list[dict[str, Any]] = []
    while not verdicts.full:
        # Lock only about as many rows as can be planned: fewer row locks, and other planners skip less.
        params["limit"] = min(PAGE, max(2 * (verdicts.free - verdicts.chosen), 10))
        rows = conn.execute(_CANDIDATES, params).fetchall()
        if not rows:
            break
        params["after"], params["after_start"] = rows[-1]["id"], rows[-1]["starts_at"]
        for row in rows:
            if verdicts.full:
                break
            if verdicts.reason(row) is None:
                chosen.append(row)
        if len(rows) < params["limit"]:
            break
    for appointment_id, exc in verdicts.errors:  # one unreadable row is skipped, not the clinic
        report_failure(conn, "planner", appointment_id, exc, clinic_id=clinic["id"], subject_type="appointment")
        result.failed.append(appointment_id)
    if not chosen:
        return result
    created = conn.execute(_INSERT, {
        "appointments": [r["id"] for r in chosen], "phones": [r["phone"] for r in chosen],
        "guarded": verdicts.limits.enabled, "ns": _NUMBER_LOCK, "clinic": clinic["id"],
        "mode": mode or get_settings().dialer_call_mode, "now": now,
        "today": verdicts.window.calendar.day_of(now)}).fetchall()
    attempt_of = {r["appointment_id"]: r["id"] for r in created}
    result.dial = [{"external_id": r["external_id"], "appointment_id": r["id"], "attempt_id": attempt_of[r["id"]]}
                   for r in chosen if r["id"] in attempt_of]
    if result.dial:
        events.record(conn, kind="planner.planned", actor="dialer", clinic_id=clinic["id"],
                      data={"attempts": [d["attempt_id"] for d in result.dial]})
    return result


def tick(now: datetime, enqueue: Callable[[int], None], *, clinic_ids: list[int] | None = None,
         url: str | None = None) -> list[PlanResult]:
    """One planner pass over every clinic (or the given ones): plan, commit, then enqueue dispatches.

    Enqueueing after commit means a dispatch task never sees an attempt that might still roll back; if
    the process dies between commit and enqueue, the reaper turns the planned attempt into `lost` and
    the appointment is retried. A clinic whose planning raises is rolled back alone, logged at ERROR and
    recorded (`dialer.isolation`); the other clinics are planned as usual. `DIALER_CLINICS` (slugs)
    limits every pass to those clinics (a simulated run must only ever touch its own clinic).
    """
    from clinic.db import connection

    results = []
    only = get_settings().dialer_clinics
    with connection(url) as conn:
        ids = clinic_ids or [r["id"] for r in conn.execute(
            "SELECT id FROM clinics WHERE paused_at IS NULL AND (cardinality(%s::text[]) = 0 OR slug = ANY(%s))"
            " ORDER BY id", (only, only)).fetchall()]
    for clinic_id in ids:
        with connection(url) as conn:
            try:
                clinic = conn.execute("SELECT * FROM clinics WHERE id = %s", (clinic_id,)).fetchone()
                if clinic is None:
                    continue
                result = plan_clinic(conn, clinic, now)
                conn.commit()
            except Exception as exc:
                conn.rollback()
                report_failure(conn, "planner", clinic_id, exc, clinic_id=clinic_id, subject_type="clinic")
                conn.commit()
                continue
        for d in result.dial:
            try:
                enqueue(d["attempt_id"])
            except Exception as exc:  # Redis down: the attempt stays planned in Postgres; the reaper recovers it
                report_failure(None, "planner.enqueue", d["attempt_id"], exc, clinic_id=clinic_id)
        results.append(result)
    return results
