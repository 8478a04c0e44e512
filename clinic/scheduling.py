"""Rescheduling: what time a patient asks for, which free slots to offer, and the booking itself.

`parse_preference` and `choose_slots` are pure (tested on their own); `book_slot` is the one transaction
that moves an appointment. Double booking is impossible by construction: `slots.appointment_id` is
UNIQUE and a slot is claimed with a conditional `UPDATE ... WHERE appointment_id IS NULL`, so of two
calls racing for one slot exactly one gets rowcount 1; the loser's transaction is rolled back whole
(its old slot stays booked) and it offers other times."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from clinic.appointments import service as appointments
from clinic.appointments.models import Status

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_RE = re.compile(r"\b(mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?s?\b")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "noon": 12}
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_PARTS = {"morning": (time(0), time(12)), "afternoon": (time(12), time(17)), "evening": (time(16), time(23, 59)),
          "lunch": (time(11, 30), time(13, 30))}


@dataclass(frozen=True)
class Preference:
    """A patient's wish, as constraints. Empty = "any time"."""

    dates: frozenset[date] = field(default_factory=frozenset)   # allowed days (empty = any)
    earliest: time | None = None
    latest: time | None = None
    text: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.dates and self.earliest is None and self.latest is None

    def matches(self, local: datetime) -> bool:
        if self.dates and local.date() not in self.dates:
            return False
        if self.earliest is not None and local.time() < self.earliest:
            return False
        return not (self.latest is not None and local.time() >= self.latest)


def _weekday_index(token: str) -> int:
    for i, name in enumerate(WEEKDAYS):
        if name.startswith(token[:3]):
            return i
    raise ValueError(token)


def _hour_from(token: str) -> int | None:
    token = token.strip()
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    if token.isdigit():
        return int(token)
    return None


def _clock_hour(h: int, minute: int, meridiem: str | None) -> time:
    """A bare hour in a clinic context: 1-7 means afternoon, 8-11 morning, 12 noon."""
    if meridiem in ("pm", "p.m.", "p m") and h < 12:
        h += 12
    elif meridiem in ("am", "a.m.", "a m") and h == 12:
        h = 0
    elif meridiem is None and 1 <= h <= 7:
        h += 12
    return time(min(h, 23), minute)


_TIME_BOUND = re.compile(
    r"\b(after|from|past|later than|before|by|earlier than|until|at|around)\s+"
    r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon)"
    r"(?::(\d{2})|\s+(thirty|fifteen|forty[- ]five))?\s*(am|pm|a\.m\.|p\.m\.|a m|p m|o'?clock)?")


def parse_preference(text: str, *, today: date) -> Preference:
    """Turn "next Tuesday afternoon", "any morning next week", "after 4", "I'd rather Thursday" into
    constraints. `today` is the clinic-local date. "next <weekday>" means the first such day after
    today (how most callers use it); "next week" is the following Monday-Sunday."""
    t = " " + text.lower().replace("’", "'") + " "
    days: set[date] | None = None

    def restrict(new: set[date]) -> None:
        nonlocal days
        days = new if days is None else (days & new or new)

    week_start_next = today + timedelta(days=7 - today.weekday())
    if re.search(r"\bnext week\b|\bweek after\b|\bfollowing week\b", t):
        restrict({week_start_next + timedelta(days=i) for i in range(7)})
    elif re.search(r"\b(this|later this|rest of the) week\b", t):
        restrict({today + timedelta(days=i) for i in range(1, 7 - today.weekday())})
    if re.search(r"\bday after tomorrow\b", t):
        restrict({today + timedelta(days=2)})
    elif re.search(r"\btomorrow\b", t):
        restrict({today + timedelta(days=1)})
    elif re.search(r"\btoday\b|\bthis (afternoon|morning|evening)\b", t):
        restrict({today})
    if re.search(r"\bweekend\b", t):
        sat = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        restrict({sat, sat + timedelta(days=1)})

    weekday_days: set[date] = set()
    in_next_week = re.search(r"\bnext week\b", t) is not None
    for m in _WEEKDAY_RE.finditer(t):
        idx = _weekday_index(m.group(1))
        ahead = (idx - today.weekday()) % 7 or 7
        first = today + timedelta(days=ahead)
        if in_next_week and first < week_start_next:
            first += timedelta(days=7)
        weekday_days.add(first)
        if m.group(0).endswith("s") or re.search(r"\b(any|every)\s+" + m.group(1), t):
            weekday_days.add(first + timedelta(days=7))  # "Tuesdays" / "any Tuesday": a second week too
    if weekday_days:
        days = weekday_days  # a named weekday is more specific than "next week" (already folded in)

    month_re = r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b"
    for m in re.finditer(month_re, t):
        month = _MONTHS.index(m.group(1)) + 1
        year = today.year + (1 if month < today.month else 0)
        with contextlib.suppress(ValueError):
            days = {date(year, month, int(m.group(2)))}
    nth = re.search(r"\bthe (\d{1,2})(?:st|nd|rd|th)\b", t)
    if nth and not re.search(month_re, t):
        d = int(nth.group(1))
        cand = today.replace(day=1)
        for _ in range(2):
            try:
                day_date = cand.replace(day=d)
                if day_date > today:
                    days = {day_date}
                    break
            except ValueError:
                pass
            cand = (cand + timedelta(days=32)).replace(day=1)

    earliest: time | None = None
    latest: time | None = None
    for part, (lo, hi) in _PARTS.items():
        if re.search(rf"\b{part}s?\b", t) and not re.search(rf"\bnot (in the |the )?{part}", t):
            earliest = lo if earliest is None else min(earliest, lo)
            latest = hi if latest is None else max(latest, hi)
    if re.search(r"\bearly\b", t) and earliest is None:
        earliest, latest = time(0), time(10, 30)
    if re.search(r"\b(end of the day|late in the day|late afternoon)\b", t):
        earliest, latest = time(15), time(23, 59)
    for m in _TIME_BOUND.finditer(t):
        word, hour_tok, minutes, spoken_min, meridiem = m.groups()
        h = _hour_from(hour_tok)
        if h is None:
            continue
        minute = int(minutes) if minutes else {"thirty": 30, "fifteen": 15}.get(spoken_min or "", 45 if spoken_min
                                                                                else 0)
        if meridiem and "clock" in meridiem:
            meridiem = None
        when = _clock_hour(h, minute, meridiem)
        if word in ("after", "from", "past", "later than"):
            earliest = when
        elif word in ("before", "by", "earlier than", "until"):
            latest = when
        else:  # "at 10", "around 2": an hour either side
            lo = (datetime.combine(today, when) - timedelta(hours=1)).time()
            hi = (datetime.combine(today, when) + timedelta(hours=1, minutes=1)).time()
            earliest, latest = lo, hi
    return Preference(dates=frozenset(days or ()), earliest=earliest, latest=latest, text=text)


def choose_slots(free: list[dict[str, Any]], pref: Preference, *, tz: ZoneInfo, limit: int = 3,
                 exclude_ids: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """At most `limit` slots nearest the preference, spread over days and times of day (see `_spread`).

    Exact matches first; if there are none, relax the time-of-day (keep the day), then the day (keep
    the time of day), then anything soonest. `free` rows need `id` and `starts_at` (aware)."""
    rows = sorted((r for r in free if r["id"] not in exclude_ids), key=lambda r: r["starts_at"])
    if not rows:
        return []
    relaxations = [pref, Preference(dates=pref.dates), Preference(earliest=pref.earliest, latest=pref.latest),
                   Preference()]
    for p in relaxations:
        hits = [r for r in rows if p.matches(r["starts_at"].astimezone(tz))]
        if hits:
            return _spread(hits, tz, limit)
    return []


def _spread(rows: list[dict[str, Any]], tz: ZoneInfo, limit: int) -> list[dict[str, Any]]:
    """A real choice: different days first, and different times of day within the wish.

    Offering 1:00, 1:30 and 2:00 is one option said three times. So: the soonest matching slot first
    (soonest is what most people want), then one slot on each next day, each time the one whose time of
    day is farthest from the times already picked; if there are fewer days than `limit`, the rest come
    from the same days, again farthest in time of day from what is picked (ties: the earlier slot).
    For a single-day afternoon wish with half-hourly slots this gives 1:00, 2:30 and 4:30."""
    if not rows:
        return []

    def minute_of_day(r: dict[str, Any]) -> int:
        local: datetime = r["starts_at"].astimezone(tz)
        return local.hour * 60 + local.minute

    def farthest(candidates: list[dict[str, Any]], picked: list[dict[str, Any]]) -> dict[str, Any]:
        taken = [minute_of_day(p) for p in picked]
        # max of (distance to the nearest picked time of day), earliest start on ties (rows are sorted)
        return max(candidates, key=lambda r: (min(abs(minute_of_day(r) - t) for t in taken),
                                              -r["starts_at"].timestamp()))

    by_day: dict[date, list[dict[str, Any]]] = {}
    for r in rows:
        by_day.setdefault(r["starts_at"].astimezone(tz).date(), []).append(r)
    days = list(by_day)
    picked = [rows[0]]
    for d in days[1:limit]:
        picked.append(farthest(by_day[d], picked))
    while len(picked) < limit:
        rest = [r for r in rows if r not in picked and r["starts_at"].astimezone(tz).date() in days[:limit]]
        if not rest:
            break
        picked.append(farthest(rest, picked))
    return sorted(picked, key=lambda r: r["starts_at"])


def free_slots(conn: psycopg.Connection[Any], *, clinic_id: int, provider: str | None, after: datetime,
               days: int = 21) -> list[dict[str, Any]]:
    """Free slots from `after` on; the appointment's own provider when it has one and they have times."""
    sql = ("SELECT id, provider, location, starts_at, duration_minutes FROM slots"
           " WHERE clinic_id = %s AND appointment_id IS NULL AND starts_at > %s AND starts_at < %s")
    params: list[Any] = [clinic_id, after, after + timedelta(days=days)]
    if provider:
        rows = conn.execute(sql + " AND provider = %s ORDER BY starts_at", [*params, provider]).fetchall()
        if rows:
            return rows
    return conn.execute(sql + " ORDER BY starts_at", params).fetchall()


def slot_changes(slot: Mapping[str, Any]) -> appointments.Changes:
    """What moving an appointment into `slot` changes: its time, provider, length, and its location when the
    slot names one (a slot without a location keeps the appointment's)."""
    changes: appointments.Changes = {"starts_at": slot["starts_at"], "provider": slot["provider"],
                                     "duration_minutes": slot["duration_minutes"]}
    if slot["location"] is not None:
        changes["location"] = slot["location"]
    return changes


class SlotTaken(Exception):
    """The slot was booked by someone else between offering and choosing it."""


def book_slot(conn: psycopg.Connection[Any], *, appointment_id: int, slot_id: int, now: datetime,
              actor: str = "agent") -> dict[str, Any]:
    """Move the appointment into `slot_id`, freeing its old slot, in the caller's transaction.

    Idempotent: if the appointment already holds this slot nothing changes. Raises SlotTaken when
    another appointment holds it (the caller rolls back, so the old slot is kept)."""
    appt = conn.execute("SELECT id, clinic_id, starts_at, status FROM appointments WHERE id = %s FOR UPDATE",
                        (appointment_id,)).fetchone()
    if appt is None:
        raise LookupError(f"appointment {appointment_id} not found")
    slot = conn.execute("SELECT id, clinic_id, provider, location, starts_at, duration_minutes, appointment_id"
                        " FROM slots WHERE id = %s", (slot_id,)).fetchone()
    if slot is None or slot["clinic_id"] != appt["clinic_id"]:
        raise LookupError(f"slot {slot_id} not found for this clinic")
    if slot["appointment_id"] == appointment_id:
        return {"already": True, "starts_at": slot["starts_at"], "slot_id": slot_id}
    conn.execute("UPDATE slots SET appointment_id = NULL, booked_at = NULL WHERE appointment_id = %s",
                 (appointment_id,))
    claimed = conn.execute("UPDATE slots SET appointment_id = %s, booked_at = %s"
                           " WHERE id = %s AND appointment_id IS NULL", (appointment_id, now, slot_id)).rowcount
    if claimed != 1:
        raise SlotTaken(f"slot {slot_id} is no longer free")
    appointments.transition(conn, appointment_id, Status.RESCHEDULED, actor=actor, reason="patient_rescheduled",
                            now=now, changes=slot_changes(slot),
                            event={"from": appt["starts_at"].isoformat(), "to": slot["starts_at"].isoformat(),
                                   "slot_id": slot_id})
    return {"already": False, "starts_at": slot["starts_at"], "slot_id": slot_id}


def callback_time(when: str, *, now: datetime, tz: ZoneInfo, default_hours: int = 2) -> datetime:
    """When to call back for "tomorrow afternoon", "after 5", "in an hour": the earliest instant the
    wish allows, not before now + 15 minutes. No usable wish -> now + `default_hours`."""
    local_now = now.astimezone(tz)
    m = re.search(r"\bin (an|one|a|two|three|\d+) (hour|minute)s?\b", when.lower())
    if m:
        n = {"an": 1, "a": 1, "one": 1, "two": 2, "three": 3}.get(m.group(1)) or int(m.group(1))
        return now + (timedelta(hours=n) if m.group(2) == "hour" else timedelta(minutes=n))
    pref = parse_preference(when, today=local_now.date())
    if pref.is_empty:
        return now + timedelta(hours=default_hours)
    day = min(pref.dates) if pref.dates else local_now.date()
    at_time = pref.earliest or time(10, 0)
    candidate = datetime.combine(day, at_time, tzinfo=tz)
    floor = now + timedelta(minutes=15)
    if candidate < floor:
        candidate = floor if not pref.dates or day == local_now.date() else candidate + timedelta(days=1)
    return candidate
