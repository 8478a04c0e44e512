"""The night's batch: at each clinic's batch time, the appointments it will try to reach that calling day.

An appointment belongs to day D's batch when it is still pending with attempts left and its call-ahead
interval [starts_at - max, starts_at - min] overlaps D's calling hours. Building is idempotent (re-runs
only add appointments), and the planner adds late imports when it dials them. Progress comes from the
`batch_progress` view (migration 0003), never from counters that could drift.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg

from clinic import events
from clinic.calling_calendar import ClinicCalendar
from clinic.retry_policy import RetryPolicy
from clinic.settings import get_settings
from dialer.isolation import each_isolated


def build_batch(conn: psycopg.Connection[Any], clinic: dict[str, Any], day: date, now: datetime) -> dict[str, Any]:
    """Create (or top up) the clinic's batch for `day`; returns its progress row."""
    start, end = ClinicCalendar.from_clinic_row(clinic).hours_on(day)
    row = conn.execute(
        "INSERT INTO batches (clinic_id, batch_date, built_at) VALUES (%s, %s, %s)"
        " ON CONFLICT (clinic_id, batch_date) DO UPDATE SET clinic_id = EXCLUDED.clinic_id RETURNING id, (xmax = 0)"
        " AS created", (clinic["id"], day, now)).fetchone()
    assert row is not None
    max_attempts = RetryPolicy.from_overrides(clinic["retry_policy"]).max_attempts
    added = conn.execute(
        "INSERT INTO batch_appointments (batch_id, appointment_id, added_at)"
        " SELECT %(batch)s, a.id, %(now)s FROM appointments a"
        " WHERE a.clinic_id = %(clinic)s AND a.status = 'pending' AND NOT a.is_test AND a.attempts_count < %(max)s"
        " AND a.starts_at >= %(start)s + %(min)s AND a.starts_at <= %(end)s + %(maxahead)s"
        " ON CONFLICT DO NOTHING",
        {"batch": row["id"], "now": now, "clinic": clinic["id"], "max": max_attempts, "start": start, "end": end,
         "min": clinic["call_ahead_min"], "maxahead": clinic["call_ahead_max"]}).rowcount
    if row["created"]:
        conn.execute("UPDATE batches SET planned = %s WHERE id = %s", (added, row["id"]))
        events.record(conn, kind="batch.built", actor="dialer", clinic_id=clinic["id"], subject_type="batch",
                      subject_id=row["id"], data={"date": day.isoformat(), "planned": added})
    return progress(conn, row["id"])


def progress(conn: psycopg.Connection[Any], batch_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM batch_progress WHERE batch_id = %s", (batch_id,)).fetchone()
    assert row is not None
    return row


def due_batches(clinics: list[dict[str, Any]], now: datetime) -> list[tuple[dict[str, Any], date]]:
    """Pure: the (clinic, calling day) pairs whose batch time has passed today in clinic time.

    Only open days (the clinic's calendar): on a closed day the planner dials nobody, so a batch for it
    would list appointments as "planned" that no call can reach that day (they join the next open day's
    batch instead, their call-ahead interval permitting)."""
    due = []
    for c in clinics:
        calendar = ClinicCalendar.from_clinic_row(c)
        local = calendar.local(now)
        if local.time() >= c["batch_time"] and calendar.is_open(local.date()):
            due.append((c, local.date()))
    return due


def build_due(conn: psycopg.Connection[Any], now: datetime) -> list[dict[str, Any]]:
    """Beat entry: build today's batch for every clinic past its batch time that has none yet.

    Each clinic in its own savepoint: one clinic whose batch cannot be built (a bad zone, a row that
    breaks a constraint) is logged, counted and skipped; the others get their batches. Limited to
    `DIALER_CLINICS` when set."""
    only = get_settings().dialer_clinics
    clinics = conn.execute("SELECT * FROM clinics WHERE cardinality(%s::text[]) = 0 OR slug = ANY(%s) ORDER BY id",
                           (only, only)).fetchall()
    built: list[dict[str, Any]] = []

    def due(clinic: dict[str, Any]) -> list[tuple[dict[str, Any], date]]:
        return due_batches([clinic], now)

    def build(pair: tuple[dict[str, Any], date]) -> None:
        clinic, day = pair
        exists = conn.execute("SELECT 1 FROM batches WHERE clinic_id = %s AND batch_date = %s",
                              (clinic["id"], day)).fetchone()
        if not exists:
            built.append(build_batch(conn, clinic, day, now))

    pairs = each_isolated(conn, "batches", clinics, due, row_id=lambda c: c["id"], clinic_id=lambda c: c["id"],
                          subject_type="clinic")
    each_isolated(conn, "batches", [p for found in pairs.results for p in found], build,
                  row_id=lambda p: p[0]["id"], clinic_id=lambda p: p[0]["id"], subject_type="clinic")
    return built
