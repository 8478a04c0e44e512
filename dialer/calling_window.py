"""When a patient may be called: a pure function of the instant, the clinic's rules and the patient's zone.

The window is the clinic's calling hours (clinic time) ∩ 08:00-21:00 in the patient's local time
(the appointment row's zone, else the clinic's) ∩ the clinic state's stricter rule (patient local time),
and nothing on the clinic's closed weekdays or dates (clinic calendar). All arithmetic goes through
zoneinfo from an aware UTC instant, so DST transitions need no special cases: the local wall clock is
what it is at that instant. The 08:00-21:00 bound is not configurable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dialer.state_rules import STATE_RULES

FEDERAL_START = time(8)
FEDERAL_END = time(21)


@dataclass(frozen=True)
class ClinicWindow:
    timezone: str
    hours_start: time
    hours_end: time
    closed_weekdays: frozenset[int] = frozenset()
    closed_dates: frozenset[date] = frozenset()
    us_state: str | None = None

    @classmethod
    def from_clinic_row(cls, row: dict[str, Any]) -> ClinicWindow:
        return cls(timezone=row["timezone"], hours_start=row["calling_hours_start"],
                   hours_end=row["calling_hours_end"], closed_weekdays=frozenset(row.get("closed_weekdays") or ()),
                   closed_dates=frozenset(row.get("closed_dates") or ()), us_state=row.get("us_state"))


def _within(t: time, start: time, end: time) -> bool:
    return start <= t < end


def why_not_callable(rules: ClinicWindow, patient_tz: str | None, at: datetime) -> str | None:
    """None when a call may start at `at`; else 'closed_day' or 'outside_window'."""
    if at.tzinfo is None:
        raise ValueError("the instant must be timezone-aware")
    clinic_local = at.astimezone(ZoneInfo(rules.timezone))
    if clinic_local.isoweekday() in rules.closed_weekdays or clinic_local.date() in rules.closed_dates:
        return "closed_day"
    if not _within(clinic_local.time(), rules.hours_start, rules.hours_end):
        return "outside_window"
    patient_local = at.astimezone(ZoneInfo(patient_tz or rules.timezone))
    t = patient_local.time()
    if not _within(t, FEDERAL_START, FEDERAL_END):
        return "outside_window"
    state = STATE_RULES.get((rules.us_state or "").upper())
    if state is not None:
        hours = state.hours_on(patient_local.isoweekday())
        if hours is None:
            return "closed_day"
        if not _within(t, *hours):
            return "outside_window"
    return None


def is_callable(rules: ClinicWindow, patient_tz: str | None, at: datetime) -> bool:
    return why_not_callable(rules, patient_tz, at) is None


def next_callable(rules: ClinicWindow, patient_tz: str | None, after: datetime,
                  horizon: timedelta = timedelta(days=14), step: timedelta = timedelta(minutes=1)) -> datetime | None:
    """First instant at or after `after` (to the minute) when a call may start, within `horizon`.

    Scans in minutes: every boundary of the window is a whole minute of some local clock (all US zones
    have whole-hour or half-hour offsets), so a minute scan is exact and obviously correct.
    """
    at = after.replace(second=0, microsecond=0)
    if at < after:
        at += step
    end = after + horizon
    while at <= end:
        if is_callable(rules, patient_tz, at):
            return at
        at += step
    return None
