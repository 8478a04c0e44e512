"""Structured tool arguments -> search constraints and callback times (pure functions)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agent.tool_args import callback_args, callback_at, preference_args, slot_preference

NY = ZoneInfo("America/New_York")
MON = date(2026, 3, 2)


def test_next_week_mornings():
    p = slot_preference(today=MON, earliest_date=date(2026, 3, 9), latest_date=date(2026, 3, 15),
                        part_of_day="morning")
    assert min(p.dates) == date(2026, 3, 9) and max(p.dates) == date(2026, 3, 15)
    assert p.earliest is None and p.latest == time(12, 0)


def test_weekdays_without_range_look_three_weeks_ahead_and_never_today():
    p = slot_preference(today=MON, weekdays=["monday", "thursday"], not_before=time(15, 0))
    assert p.dates and all(d.weekday() in (0, 3) for d in p.dates)
    assert MON not in p.dates and max(p.dates) <= MON + timedelta(days=22)
    assert p.earliest == time(15, 0)


def test_part_of_day_and_clock_times_intersect():
    p = slot_preference(today=MON, part_of_day="afternoon", not_before=time(15, 0))
    assert (p.earliest, p.latest) == (time(15, 0), time(17, 0))
    assert slot_preference(today=MON).is_empty


def test_scripted_reading_matches_the_words():
    assert preference_args("next tuesday afternoon", MON) == {
        "part_of_day": "afternoon", "earliest_date": "2026-03-03", "latest_date": "2026-03-03"}
    args = preference_args("any morning next week", MON)
    assert args["part_of_day"] == "morning" and args["earliest_date"] == "2026-03-09"
    assert preference_args("", MON) == {"part_of_day": "any"}


def test_callback_times():
    now = datetime(2026, 3, 2, 14, 0, tzinfo=NY)
    assert callback_at(now=now, tz=NY, in_minutes=60) == now + timedelta(hours=1)
    assert callback_at(now=now, tz=NY, day=date(2026, 3, 3), at=time(17, 0)) == datetime(2026, 3, 3, 17, tzinfo=NY)
    assert callback_at(now=now, tz=NY) == now + timedelta(hours=2)
    assert callback_at(now=now, tz=NY, part_of_day="morning") == datetime(2026, 3, 2, 14, 15, tzinfo=NY)
    assert callback_args("in an hour", now, NY) == {"in_minutes": 60}
    assert callback_args("tomorrow after 5", now, NY) == {"day": "2026-03-03", "at": "17:00"}
