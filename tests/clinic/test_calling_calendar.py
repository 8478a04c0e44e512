"""The clinic's calling calendar: one set of defaults (the schema's), open days, hours as instants, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.calling_calendar import ClinicCalendar

NY = "America/New_York"


def test_defaults_are_what_a_new_clinic_row_gets(conn) -> None:
    """A calendar written in code means what `clinic add` means: 09:00-19:00, closed on Sundays. (The
    window used to default to no closed day, the retry policy to Sundays.)"""
    row = conn.execute("INSERT INTO clinics (slug, name, timezone) VALUES ('d', 'D', %s) RETURNING *",
                       (NY,)).fetchone()
    assert ClinicCalendar.from_clinic_row(row) == ClinicCalendar(NY)
    assert ClinicCalendar(NY).why_closed(datetime(2026, 3, 15, 15, tzinfo=UTC)) == "closed_day"  # Sunday 11:00


def test_open_days_skip_closed_weekdays_and_dates() -> None:
    cal = ClinicCalendar(NY, closed_weekdays=frozenset({6, 7}), closed_dates=frozenset({date(2026, 12, 25)}))
    assert [cal.is_open(date(2026, 12, d)) for d in (24, 25, 26, 27, 28)] == [True, False, False, False, True]
    assert cal.next_open_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert cal.next_open_day(date(2026, 12, 27)) == date(2026, 12, 28)  # never the day itself
    with pytest.raises(ValueError, match="no open day"):
        ClinicCalendar(NY, closed_weekdays=frozenset(range(1, 8))).next_open_day(date(2026, 1, 1))


def test_days_and_hours_are_the_clinics_wall_clock_across_dst() -> None:
    cal = ClinicCalendar(NY, time(9), time(19), frozenset())
    # US spring-forward Sunday: 09:00 is EDT (13:00 UTC), the day before it was EST (14:00 UTC).
    assert cal.hours_on(date(2026, 3, 8)) == (datetime(2026, 3, 8, 13, tzinfo=UTC),
                                              datetime(2026, 3, 8, 23, tzinfo=UTC))
    assert cal.hours_on(date(2026, 3, 7))[0] == datetime(2026, 3, 7, 14, tzinfo=UTC)
    assert cal.hours_on(date(2026, 11, 1))[0] == datetime(2026, 11, 1, 14, tzinfo=UTC)  # fall back: EST again
    # A closed date is the clinic's date, not UTC's: 22:00 on the 24th in Chicago is the 25th in UTC.
    chicago = ClinicCalendar("America/Chicago", time(8), time(23), frozenset(), frozenset({date(2026, 12, 24)}))
    assert chicago.day_of(datetime(2026, 12, 25, 4, tzinfo=UTC)) == date(2026, 12, 24)
    assert chicago.why_closed(datetime(2026, 12, 25, 4, tzinfo=UTC)) == "closed_day"
    assert chicago.why_closed(datetime(2026, 12, 25, 6, tzinfo=UTC)) == "outside_hours"  # 00:00 on the 25th
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.why_closed(datetime(2026, 3, 10, 12))


def test_hours_start_is_in_and_hours_end_is_out() -> None:
    cal = ClinicCalendar(NY, time(9), time(19), frozenset())
    start, end = cal.hours_on(date(2026, 3, 10))
    assert cal.why_closed(start) is None and cal.why_closed(start - timedelta(seconds=1)) == "outside_hours"
    assert cal.why_closed(end - timedelta(seconds=1)) is None and cal.why_closed(end) == "outside_hours"


@settings(max_examples=300, deadline=None)
@given(at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)),
       zone=st.sampled_from([NY, "America/Los_Angeles", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]),
       start=st.integers(5, 12), end=st.integers(13, 23), closed=st.frozensets(st.integers(1, 7), max_size=3))
def test_open_now_is_inside_that_days_hours(at: datetime, zone: str, start: int, end: int,
                                            closed: frozenset[int]) -> None:
    """`why_closed` and `hours_on` (what the window and the batch builder use) describe the same hours."""
    cal = ClinicCalendar(zone, time(start), time(end), closed)
    day = cal.day_of(at)
    lo, hi = cal.hours_on(day)
    assert (cal.why_closed(at) is None) == (cal.is_open(day) and lo <= at < hi)
