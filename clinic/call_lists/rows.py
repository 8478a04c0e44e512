"""One CSV record -> a clean appointment row, or the list of everything wrong with it.

Pure: no database, no clock of its own (`now` is injected), so every rule has a plain unit test. The
rules are the ones staff can act on: each error names the line and the column, and says what a good
value looks like."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clinic.call_lists.columns import ColumnMap
from clinic.call_lists.phone_cache import PhoneParser
from clinic.call_lists.report import RowError, row_error
from clinic.phones import InvalidPhone, region_for_country

DEFAULT_DURATION = 30
MAX_DURATION = 24 * 60
MAX_TEXT = 200
MAX_NOTES = 2000
# A start this far ahead is almost always a typo in the year (2207 for 2027).
MAX_AHEAD = timedelta(days=3 * 366)

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([AaPp])\.?\s*[Mm]?\.?$|^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_US_DATETIME = re.compile(r"^(\d{1,2}/\d{1,2}/(?:\d{4}|\d{2}))[ T,]+(.+)$")
_ISO_DATE_CLOCK = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})[ T]+(.+)$")
# `10.30` / `10,30` / `10:30.5`: ISO 8601 reads the dot or comma as a decimal fraction of the hour (or minute),
# so Python's fromisoformat turns `10.30` into 10:00:00.3 and the patient would be told ten o'clock. Only
# seconds may carry a fraction; anything else is refused with the fix in the message.
_FRACTIONAL_CLOCK = re.compile(r"^(\d{1,2})(?::?(\d{2}))?[.,](\d+)")

# The order RowValidator reads a record's cells in.
FIELDS = ("external_id", "patient_name", "first_name", "last_name", "phone", "appointment_start",
          "appointment_date", "appointment_clock", "duration_minutes", "provider", "location", "timezone", "notes")

START_FORMATS_HELP = ("use ISO 8601 like 2027-03-03T14:30:00-05:00 or 2027-03-03 14:30, "
                      "or US style like 03/03/2027 2:30 PM")


@dataclass(slots=True)  # not frozen: frozen dataclasses cost ~4x more to build, per row
class CleanRow:
    line: int
    external_id: str
    patient_name: str
    phone: str  # E.164
    starts_at: datetime  # aware, UTC
    duration_minutes: int
    provider: str | None
    location: str | None
    timezone: str | None
    notes: str | None
    row_hash: str


class StartError(ValueError):
    pass


def _refuse_fractional_clock(text: str) -> None:
    m = _FRACTIONAL_CLOCK.match(text.strip())
    if m:
        hour, minute = m.group(1), m.group(2)
        minute = minute or (m.group(3) if len(m.group(3)) == 2 else "MM")
        fix = f"{int(hour):02d}:{minute}"
        raise StartError(f"time {text.strip()!r} separates hours and minutes with a dot or comma, which could mean "
                         f"a fraction of an hour: write it with a colon, e.g. {fix}")


def parse_clock(text: str) -> time:
    """`14:30`, `2:30 PM`, `2:30pm`, `2 PM`, `14:30:00` -> time. `10.30` and `10,30` are refused (which time
    they mean is ambiguous), never read as 10:00."""
    _refuse_fractional_clock(text)
    m = _CLOCK.match(text.strip())
    if not m:
        raise StartError(f"time {text!r} is not a time of day like 14:30 or 2:30 PM")
    if m.group(4):  # 12-hour clock
        hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
        if not 1 <= hour <= 12:
            raise StartError(f"time {text!r}: the hour must be 1-12 with AM/PM")
        hour = hour % 12 + (12 if m.group(4) in "Pp" else 0)
    else:
        hour, minute, second = int(m.group(5)), int(m.group(6)), int(m.group(7) or 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        raise StartError(f"time {text!r} is not a valid time of day") from None


def parse_date(text: str) -> date:
    """`2027-03-03` or US `03/03/2027` (also `3/3/27`) -> date."""
    t = text.strip()
    try:
        if m := _ISO_DATE.match(t):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _US_DATE.match(t):
            year = int(m.group(3))
            return date(year + 2000 if year < 100 else year, int(m.group(1)), int(m.group(2)))
    except ValueError:
        raise StartError(f"date {text!r} is not a real calendar date") from None
    raise StartError(f"date {text!r} is not a date like 2027-03-03 or 03/03/2027")


def parse_start(text: str) -> datetime:
    """A start cell -> datetime, aware when the cell carried an offset, naive otherwise."""
    t = text.strip()
    if m := _US_DATETIME.match(t):
        return datetime.combine(parse_date(m.group(1)), parse_clock(m.group(2)))
    if _ISO_DATE.match(t) or _US_DATE.match(t):
        raise StartError(f"{text!r} has a date but no time: add the time (e.g. {t} 14:30)")
    if m := _ISO_DATE_CLOCK.match(t):
        _refuse_fractional_clock(m.group(2))
    try:
        return datetime.fromisoformat(t.replace("z", "Z"))
    except ValueError:
        pass
    if m := _ISO_DATE_CLOCK.match(t):  # 2027-03-03 2:30 PM
        try:
            return datetime.combine(parse_date(m.group(1)), parse_clock(m.group(2)))
        except StartError:
            pass
    raise StartError(f"{text!r} is not a date and time: {START_FORMATS_HELP}")


class RowValidator:
    """Validates records of one file for one clinic. Holds memos (phones, time zones) across rows,
    which is what makes a 100,000-row import fast; otherwise stateless."""

    def __init__(self, columns: ColumnMap, *, clinic_timezone: str, country: str | None, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.columns = columns
        self.now = now
        self.clinic_tz = ZoneInfo(clinic_timezone)
        self._phones = PhoneParser(region_for_country(country))
        self._zones: dict[str, ZoneInfo | None] = {}
        self._starts: dict[tuple[str, str, str, str], tuple[datetime | None, str, tuple[str, str] | None]] = {}
        # One C-level call per row fetches every field; a field the file lacks reads the blank cell
        # appended at index `width`.
        self._width = len(columns.header)
        self._getter = itemgetter(*(columns.index.get(f, self._width) for f in FIELDS))

    def _zone(self, name: str) -> ZoneInfo | None:
        if name not in self._zones:
            try:
                self._zones[name] = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                self._zones[name] = None
        return self._zones[name]

    def validate(self, line: int, fields: list[str]) -> CleanRow | list[RowError]:
        """Everything wrong with the record (not just the first problem), or the clean row."""
        errors: list[RowError] = []

        def err(column: str, message: str) -> None:
            errors.append(row_error(line, column, message))

        if len(fields) != self._width:
            fields = (fields + [""] * self._width)[: self._width]
        (external_id, name, first_name, last_name, raw_phone, raw_start, raw_date, raw_clock, raw_duration,
         provider, location, tz_name, notes) = map(str.strip, self._getter([*fields, ""]))

        if not external_id:
            err("external_id", "external_id is empty: every appointment needs the id your scheduling system gives it")
        elif len(external_id) > MAX_TEXT:
            err("external_id", f"external_id is longer than {MAX_TEXT} characters")

        name = " ".join(name.split())
        if not name:
            name = " ".join(f"{first_name} {last_name}".split())
        if not name:
            err("patient_name", "patient_name is empty")
        elif len(name) > MAX_TEXT:
            err("patient_name", f"patient_name is longer than {MAX_TEXT} characters")

        phone = ""
        if not raw_phone:
            err("phone", "phone is empty")
        else:
            try:
                phone = self._phones(raw_phone)
            except InvalidPhone as exc:
                err("phone", f"phone: {exc}")

        zone: ZoneInfo | None = self.clinic_tz
        if tz_name:
            zone = self._zone(tz_name)
            if zone is None:
                err("timezone", f"unknown time zone {tz_name!r}: use an IANA name such as America/New_York")

        starts_at, starts_iso, start_error = self._start(raw_start, raw_date, raw_clock, tz_name, zone)
        if start_error is not None:
            err(*start_error)

        duration = DEFAULT_DURATION
        if raw_duration:
            try:
                value = float(raw_duration)
            except ValueError:
                value = None
            if value is None or value != value:  # NaN
                err("duration_minutes", f"duration_minutes {raw_duration!r} is not a number of minutes")
            elif value <= 0:
                err("duration_minutes", f"duration_minutes {raw_duration!r} must be more than 0")
            elif value != int(value):
                err("duration_minutes", f"duration_minutes {raw_duration!r} must be a whole number of minutes")
            elif value > MAX_DURATION:
                err("duration_minutes", f"duration_minutes {raw_duration!r} is more than a day")
            else:
                duration = int(value)

        for column, text, limit in (("provider", provider, MAX_TEXT), ("location", location, MAX_TEXT),
                                    ("notes", notes, MAX_NOTES)):
            if len(text) > limit:
                err(column, f"{column} is longer than {limit} characters")

        if errors or starts_at is None:
            return errors
        digest = hashlib.md5(
            "\x1f".join((external_id, name, phone, starts_iso, str(duration), provider,
                         location, tz_name, notes)).encode(),
            usedforsecurity=False,
        ).hexdigest()
        return CleanRow(line, external_id, name, phone, starts_at, duration, provider or None, location or None,
                        tz_name or None, notes or None, digest)

    def _start(self, raw: str, raw_date: str, raw_clock: str, tz_name: str,
               zone: ZoneInfo | None) -> tuple[datetime | None, str, tuple[str, str] | None]:
        """(UTC start, its ISO text, None) or (None, "", (column, message)). Memoised per distinct cell
        text: a call list has many appointments at the same slot times, and the zone arithmetic is the
        costliest part of a row. `zone` None = the row's time zone is unknown (reported by the caller)."""
        key = (raw, raw_date, raw_clock, tz_name)
        hit = self._starts.get(key)
        if hit is None:
            hit = self._starts[key] = self._start_uncached(raw, raw_date, raw_clock, zone)
        return hit

    def _start_uncached(self, raw: str, raw_date: str, raw_clock: str,
                        zone: ZoneInfo | None) -> tuple[datetime | None, str, tuple[str, str] | None]:
        column = "appointment_start"
        try:
            if raw and (not raw_date or not _looks_like_clock(raw)):
                value = parse_start(raw)
            elif raw_date and (raw_clock or raw):
                column = "appointment_date"
                day = parse_date(raw_date)
                column = "appointment_time"
                value = datetime.combine(day, parse_clock(raw_clock or raw))
            elif raw_date:
                return None, "", ("appointment_time", "the appointment time is empty")
            else:
                return None, "", ("appointment_start", "appointment_start is empty")
        except StartError as exc:
            return None, "", (column, str(exc))
        shown = raw if raw and column == "appointment_start" else f"{raw_date} {raw_clock or raw}"
        if value.tzinfo is None:
            if zone is None:
                return None, "", None  # already reported: unknown time zone
            local = value.replace(tzinfo=zone)
            if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
                return None, "", (column, f"{value:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks "
                                          "move forward that night): check the time")
            second = value.replace(tzinfo=zone, fold=1)
            if second.utcoffset() != local.utcoffset():
                # The fall-back hour happens twice; taking the first silently could tell the patient a time
                # an hour off. The row must say which one.
                first_iso, second_iso = local.isoformat(), second.isoformat()
                return None, "", (column, f"{value:%Y-%m-%d %H:%M} happens twice in {zone.key} (the clocks go back "
                                          f"that night): give the offset, {first_iso} for the first or "
                                          f"{second_iso} for the second")
            value = local
        value = value.astimezone(UTC)
        if value <= self.now:
            return None, "", (column, f"the appointment ({shown}) is in the past")
        if value - self.now > MAX_AHEAD:
            return None, "", (column, f"the appointment ({shown}) is more than 3 years ahead: check the year")
        return value, value.isoformat(), None


def _looks_like_clock(text: str) -> bool:
    return _CLOCK.match(text) is not None or _FRACTIONAL_CLOCK.match(text.strip()) is not None


class DuplicateIds:
    """Spots an external_id seen earlier in the same file. The first occurrence owns the id; every later
    row with it is reported and not imported, even when the first one had errors (we cannot tell which
    one the clinic meant). Works on a stream, in file order."""

    def __init__(self) -> None:
        self._first: dict[str, int] = {}

    def seen_before(self, line: int, external_id: str) -> int | None:
        """The line where `external_id` first appeared, or None (and remember this line) if new."""
        if not external_id:
            return None
        first = self._first.setdefault(external_id, line)
        return None if first == line else first
