"""Healthcare-exemption guardrails: at most N calls per patient number per day and M per week.

Counted per clinic and per dialed number across all of the clinic's appointments (a parent with three
children's appointments is still one phone). "Day" is the clinic's calendar day; "week" is the rolling
7 days before the instant, which is never looser than a calendar week. Attempts that never reached the
phone network (lost before dialing, dispatch failures) do not count; in-flight ones do.

A callback the patient asked for ("call me back at 5") is honoured the same day: once its time has come,
the appointment is exempt from the per-day count (it is still counted for the weekly cap, and the calling
window and DNC still apply). Without this the default 1/day would push it to tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg


@dataclass(frozen=True)
class Limits:
    enabled: bool = True
    per_day: int = 1
    per_week: int = 3

    @classmethod
    def from_clinic_row(cls, row: dict[str, Any]) -> Limits:
        return cls(row["guardrails_enabled"], row["max_calls_per_number_per_day"],
                   row["max_calls_per_number_per_week"])


def callback_due(last_outcome: str | None, callback_at: datetime | None, now: datetime) -> bool:
    """The patient asked to be called back (the last attempt ended `callback_requested`) and that time
    has come: the next call is the patient's request, exempt from the per-day count."""
    return last_outcome == "callback_requested" and callback_at is not None and callback_at <= now


def callback_due_sql(alias: str) -> str:
    """`callback_due` on appointments row `alias`, in SQL (needs %(now)s)."""
    return (f"({alias}.last_outcome = 'callback_requested' AND {alias}.callback_at IS NOT NULL"
            f" AND {alias}.callback_at <= %(now)s)")


def check(limits: Limits, calls_today: int, calls_this_week: int, *, requested_callback: bool = False) -> str | None:
    """None when one more call is allowed; else the reason. `requested_callback` (see `callback_due`)
    lifts the per-day limit only."""
    if not limits.enabled:
        return None
    if calls_today >= limits.per_day and not requested_callback:
        return "guardrail"
    if calls_this_week >= limits.per_week:
        return "guardrail"
    return None


def allows_sql(today: str, week: str, requested_callback: str) -> str:
    """`check(...) is None` in SQL, for the planner's candidate query (needs %(guarded)s, %(per_day)s,
    %(per_week)s): the same rule as `check`, kept beside it; tests/dialer/test_guardrails.py compares the two
    over a grid of counts."""
    return (f"(NOT %(guarded)s OR (({today} < %(per_day)s OR {requested_callback})"
            f" AND {week} < %(per_week)s))")


def day_bounds(now: datetime, clinic_tz: str) -> tuple[datetime, datetime]:
    local = now.astimezone(ZoneInfo(clinic_tz))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, (start + timedelta(days=1)).replace(tzinfo=local.tzinfo)


def counted(alias: str) -> str:
    """SQL condition on call_attempts row `alias`: the attempt counts (in flight, or it reached dialing)."""
    a = alias
    return (f"({a}.outcome IS NULL OR {a}.dial_started_at IS NOT NULL OR {a}.sip_status_code IS NOT NULL"
            f" OR {a}.outcome NOT IN ('lost', 'failed'))")


COUNTED = counted("a")


def window_starts(now: datetime, clinic_tz: str) -> tuple[datetime, datetime]:
    """(start of the clinic's calendar day, start of the counting week) for `now`."""
    day_start, _ = day_bounds(now, clinic_tz)
    return day_start, min(day_start, now - timedelta(days=7))


def lateral_counts(phone_expr: str, clinic_expr: str) -> str:
    """A LATERAL subquery `(today, week)` counting one number's attempts; it probes the
    (clinic_id, phone, planned_at) index once per row. Needs %(day_start)s, %(week_start)s, %(now)s."""
    return (f"LATERAL (SELECT count(*) FILTER (WHERE ca.planned_at >= %(day_start)s) AS today, count(*) AS week"
            f" FROM call_attempts ca WHERE ca.clinic_id = {clinic_expr} AND ca.phone = {phone_expr}"
            f" AND ca.planned_at >= %(week_start)s AND ca.planned_at <= %(now)s AND {counted('ca')})")


def counts(conn: psycopg.Connection[Any], clinic_id: int, phones: list[str], now: datetime,
           clinic_tz: str) -> dict[str, tuple[int, int]]:
    """{phone: (calls today, calls in the last 7 days)} for the given numbers."""
    if not phones:
        return {}
    day_start, week_start = window_starts(now, clinic_tz)
    rows = conn.execute(
        f"SELECT a.phone, count(*) FILTER (WHERE a.planned_at >= %s) AS today, count(*) AS week"
        f" FROM call_attempts a WHERE a.clinic_id = %s AND a.phone = ANY(%s) AND a.planned_at >= %s"
        f" AND a.planned_at <= %s AND {COUNTED} GROUP BY a.phone",
        (day_start, clinic_id, phones, week_start, now),
    ).fetchall()
    found = {r["phone"]: (r["today"], r["week"]) for r in rows}
    return {p: found.get(p, (0, 0)) for p in phones}
