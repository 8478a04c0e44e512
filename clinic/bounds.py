"""Bounds on every date that comes from outside (API bodies, CLI options, call lists).

Python's datetime runs from year 1 to 9999, and arithmetic near either end raises OverflowError: a test
appointment "at 0001-01-01T00:00:00-12:00" once made every reaper run fail for every clinic. Nothing the
dialer does needs dates far from now, so they are refused where they enter, with a message naming the
field and the accepted range, instead of being carried into code that does arithmetic on them.

- appointments (test calls, imports): from 1 year back to 2 years ahead (imports are stricter: future only,
  at most 3 years, see clinic.call_lists.rows);
- an instant to explain (`plan --dry-run --at`): the same range;
- day ranges (`slots generate`): the same range, at most 366 days long.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

PAST = timedelta(days=366)
FUTURE = timedelta(days=2 * 366)
MAX_RANGE_DAYS = 366


class OutOfBounds(ValueError):
    """The message names the field and the accepted range."""


def check_instant(value: datetime, field: str, *, now: datetime, past: timedelta = PAST,
                  future: timedelta = FUTURE) -> datetime:
    """`value` (aware) if it lies in [now - past, now + future], else OutOfBounds."""
    if value.tzinfo is None:
        raise OutOfBounds(f"{field}: needs a UTC offset, e.g. 2027-03-10T10:00:00-05:00")
    lo, hi = now - past, now + future
    try:
        inside = lo <= value.astimezone(UTC) <= hi
    except OverflowError:  # 9999-12-31T23:59:59-12:00 is past the end of the calendar in UTC
        inside = False
    if not inside:
        raise OutOfBounds(f"{field}: {_show(value)} is out of range: give a time between {lo:%Y-%m-%d} and "
                          f"{hi:%Y-%m-%d}")
    return value


def check_day(value: date, field: str, *, today: date, past: timedelta = PAST, future: timedelta = FUTURE) -> date:
    lo, hi = today - past, today + future
    if not lo <= value <= hi:
        raise OutOfBounds(f"{field}: {value.isoformat()} is out of range: give a day between {lo} and {hi}")
    return value


def check_day_range(start: date, end: date, *, today: date, start_field: str = "--from", end_field: str = "--to",
                    max_days: int = MAX_RANGE_DAYS) -> tuple[date, date]:
    check_day(start, start_field, today=today)
    check_day(end, end_field, today=today)
    if end < start:
        raise OutOfBounds(f"{end_field}: {end} is before {start_field} {start}")
    if (end - start).days + 1 > max_days:
        raise OutOfBounds(f"{end_field}: the range {start} .. {end} is {(end - start).days + 1} days; at most "
                          f"{max_days} days at a time")
    return start, end


def _show(value: datetime) -> str:
    try:
        return value.isoformat()
    except (OverflowError, ValueError):
        return repr(value)
