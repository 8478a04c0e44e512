"""Structured tool arguments (as in livekit/agents examples/drive-thru): what the model fills in, and the pure
functions that turn them into search constraints and callback times.

The model does the understanding ("next Tuesday afternoon" -> a date and a part of day); the tools get
values a schema can check (ISO dates, an enum, Literal option numbers) instead of free text for a regex
parser. The scripted policy, which has no model, produces the same arguments from the patient's words with
`clinic.scheduling.parse_preference` (`preference_args`, `callback_args`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from clinic.scheduling import Preference, parse_preference

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY_NAMES: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PartOfDay = Literal["any", "morning", "afternoon", "evening"]
OptionNumber = Literal[1, 2, 3]

# Clinic-local bounds of each part of the day: [start, end).
PART_BOUNDS: dict[str, tuple[time | None, time | None]] = {
    "any": (None, None), "morning": (None, time(12, 0)), "afternoon": (time(12, 0), time(17, 0)),
    "evening": (time(17, 0), None)}
CALLBACK_START: dict[str, time] = {"morning": time(9, 0), "afternoon": time(13, 0), "evening": time(17, 0)}
SEARCH_DAYS = 21   # weekdays-only searches look this far ahead


def slot_preference(*, today: date, earliest_date: date | None = None, latest_date: date | None = None,
                    weekdays: list[Weekday] | None = None, part_of_day: PartOfDay = "any",
                    not_before: time | None = None, not_after: time | None = None) -> Preference:
    """Search constraints from structured arguments. Dates before tomorrow are ignored (nothing is booked
    for today); a weekday filter without a range looks `SEARCH_DAYS` ahead."""
    dates: frozenset[date] = frozenset()
    if earliest_date or latest_date or weekdays:
        start = max(earliest_date or today + timedelta(days=1), today + timedelta(days=1))
        end = latest_date or start + timedelta(days=SEARCH_DAYS)
        wanted = {WEEKDAY_NAMES.index(w) for w in weekdays or []}
        span = [start + timedelta(days=i) for i in range(max((end - start).days, 0) + 1)]
        dates = frozenset(d for d in span if not wanted or d.weekday() in wanted)
    lo, hi = PART_BOUNDS[part_of_day]
    earliest = max((t for t in (lo, not_before) if t is not None), default=None)
    latest = min((t for t in (hi, not_after) if t is not None), default=None)
    return Preference(dates=dates, earliest=earliest, latest=latest)


def callback_at(*, now: datetime, tz: ZoneInfo, day: date | None = None, part_of_day: PartOfDay = "any",
                at: time | None = None, in_minutes: int | None = None, default_hours: int = 2) -> datetime:
    """When to call back: `in_minutes` from now, or `day` at `at` (or the start of `part_of_day`); never
    sooner than 15 minutes from now; nothing said -> now + `default_hours`."""
    if in_minutes is not None and in_minutes > 0:
        return now + timedelta(minutes=in_minutes)
    local_now = now.astimezone(tz)
    start = at or CALLBACK_START.get(part_of_day)
    if day is None and start is None:
        return now + timedelta(hours=default_hours)
    candidate = datetime.combine(day or local_now.date(), start or time(10, 0), tzinfo=tz)
    floor = now + timedelta(minutes=15)
    if candidate < floor:
        candidate = floor if day is None or day == local_now.date() else candidate + timedelta(days=1)
    return candidate


def preference_args(text: str, today: date) -> dict[str, Any]:
    """The find_available_slots arguments for a patient's words (the scripted policy's reading)."""
    p = parse_preference(text, today=today)
    args: dict[str, Any] = {"part_of_day": "any"}
    if p.dates:
        lo, hi = min(p.dates), max(p.dates)
        args["earliest_date"], args["latest_date"] = lo.isoformat(), hi.isoformat()
        span = {lo + timedelta(days=i) for i in range((hi - lo).days + 1)}
        if span != set(p.dates):
            args["weekdays"] = sorted({WEEKDAY_NAMES[d.weekday()] for d in p.dates}, key=WEEKDAY_NAMES.index)
    earliest = None if p.earliest == time(0, 0) else p.earliest   # parse_preference's "morning" starts at 0:00
    for part, (lo_t, hi_t) in PART_BOUNDS.items():
        if part != "any" and (earliest, p.latest) == (lo_t, hi_t):
            args["part_of_day"] = part
            break
    else:
        if earliest is not None:
            args["not_before"] = earliest.strftime("%H:%M")
        if p.latest is not None:
            args["not_after"] = p.latest.strftime("%H:%M")
    return args


def callback_args(text: str, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """The schedule_callback arguments for a patient's words ("in an hour", "tomorrow after 5")."""
    import re

    m = re.search(r"\bin (an|one|a|two|three|\d+) (hour|minute)s?\b", text.lower())
    if m:
        n = {"an": 1, "a": 1, "one": 1, "two": 2, "three": 3}.get(m.group(1)) or int(m.group(1))
        return {"in_minutes": n * 60 if m.group(2) == "hour" else n}
    p = parse_preference(text, today=now.astimezone(tz).date())
    args: dict[str, Any] = {}
    if p.dates:
        args["day"] = min(p.dates).isoformat()
    if p.earliest is not None:
        args["at"] = p.earliest.strftime("%H:%M")
    elif p.latest is not None and p.latest <= time(12, 0):
        args["part_of_day"] = "morning"
    return args
