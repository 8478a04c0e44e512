"""The nightly batch builder reads the clinic's calendar (clinic.calling_calendar)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dialer.batches import due_batches

NY = "America/New_York"


def _clinic_row(**kw: object) -> dict[str, object]:
    return {"id": 1, "timezone": NY, "calling_hours_start": time(9), "calling_hours_end": time(19),
            "closed_weekdays": [7], "closed_dates": [date(2026, 12, 24)], "batch_time": time(2), **kw}


def test_the_nightly_batch_is_built_for_open_days_only() -> None:
    """On a closed day the planner dials nobody, so no batch claims appointments "planned" for it."""
    row = _clinic_row()
    at_3am = lambda d: datetime.combine(d, time(3), ZoneInfo(NY))  # noqa: E731
    assert due_batches([row], at_3am(date(2026, 3, 16))) == [(row, date(2026, 3, 16))]  # Monday
    assert due_batches([row], at_3am(date(2026, 3, 15))) == []  # Sunday
    assert due_batches([row], at_3am(date(2026, 12, 24))) == []  # a closed date
    assert due_batches([row], datetime.combine(date(2026, 3, 16), time(1, 59), ZoneInfo(NY))) == []  # before 02:00
