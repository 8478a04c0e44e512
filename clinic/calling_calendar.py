"""The clinic's calling week, written once: time zone, calling hours, closed weekdays and closed dates.

Three rules need these facts and each used to carry its own copy, with different defaults
(`retry_policy.CallingDays` closed on Sundays unless told otherwise, `calling_window.ClinicWindow` on no
day at all):
- the calling window (`dialer.calling_window`): is this instant inside the clinic's hours on an open day;
- the retry policy (`clinic.retry_policy`): which calling day a retry after a voicemail moves to;
- the batch builder (`dialer.batches`): which instants a calling day's hours span, and which days have calls.

One record, one set of defaults: the schema's (`clinic/migrations/0001_core.sql`: 09:00-19:00, closed on
Sundays), so a calendar written in code means what a clinic made with `python -m dialer clinic add`
means; tests/clinic/test_calling_calendar.py checks them against the migrated schema.

Pure: no database and no clock. Days are the clinic's local calendar days; hours are compared on the
clinic's wall clock at an aware instant (zoneinfo), so DST changes need no special cases. (The legal
08:00-21:00 bound and the states' rules are about the called person and live in `dialer.calling_window`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

DEFAULT_HOURS_START = time(9)
DEFAULT_HOURS_END = time(19)
DEFAULT_CLOSED_WEEKDAYS: frozenset[int] = frozenset({7})  # ISO weekdays: 1 = Monday .. 7 = Sunday

Closed = Literal["closed_day", "outside_hours"]


@dataclass(frozen=True)
class ClinicCalendar:
    """When the clinic calls patients: `hours_start` <= clinic wall clock < `hours_end` on open days."""

    timezone: str
    hours_start: time = DEFAULT_HOURS_START
    hours_end: time = DEFAULT_HOURS_END
    closed_weekdays: frozenset[int] = DEFAULT_CLOSED_WEEKDAYS
    closed_dates: frozenset[date] = frozenset()

    @classmethod
    def from_clinic_row(cls, row: Mapping[str, Any]) -> ClinicCalendar:
        """From a `clinics` row. NULL day lists mean none (the columns are NOT NULL; rows built by hand
        in tests and tools may lack them)."""
        return cls(timezone=row["timezone"], hours_start=row["calling_hours_start"],
                   hours_end=row["calling_hours_end"], closed_weekdays=frozenset(row.get("closed_weekdays") or ()),
                   closed_dates=frozenset(row.get("closed_dates") or ()))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key

    def local(self, at: datetime) -> datetime:
        """`at` on the clinic's wall clock."""
        if at.tzinfo is None:
            raise ValueError("the instant must be timezone-aware")
        return at.astimezone(self.zone)

    def day_of(self, at: datetime) -> date:
        """The clinic's calendar day containing `at` (a batch's date, a guardrail's "today")."""
        return self.local(at).date()

    def is_open(self, day: date) -> bool:
        return day.isoweekday() not in self.closed_weekdays and day not in self.closed_dates

    def next_open_day(self, after: date) -> date:
        """The first open day after `after` (not `after` itself)."""
        day = after + timedelta(days=1)
        for _ in range(366):
            if self.is_open(day):
                return day
            day += timedelta(days=1)
        raise ValueError("the clinic has no open day in the next year")

    def hours_on(self, day: date) -> tuple[datetime, datetime]:
        """The calling hours of `day` as aware instants (start, end)."""
        return datetime.combine(day, self.hours_start, self.zone), datetime.combine(day, self.hours_end, self.zone)

    def why_closed(self, at: datetime) -> Closed | None:
        """None when `at` is inside the calling hours of an open day; else which of the two it is not."""
        local = self.local(at)
        if not self.is_open(local.date()):
            return "closed_day"
        if not self.hours_start <= local.time() < self.hours_end:
            return "outside_hours"
        return None
