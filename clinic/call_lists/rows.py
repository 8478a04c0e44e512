"""One CSV record -> a clean appointment row, or the list of everything wrong with it.

Pure: no database, no clock of its own (`now` is injected), so every rule has a plain unit test. The
rules are the ones staff can act on: each error names the line and the column, and says what a good
value looks like."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clinic.call_lists.columns import ColumnMap
from clinic.call_lists.phone_cache import PhoneParser
from clinic.call_lists.report import RowError
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

START_FORMATS_HELP = ("use ISO 8601 like 2027-03-03T14:30:00-05:00 or 2027-03-03 14:30, "
                      "or US style like 03/03/2027 2:30 PM")


@dataclass(frozen=True, slots=True)
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


def parse_clock(text: str) -> time:
    """`14:30`, `2:30 PM`, `2:30pm`, `2 PM`, `14:30:00` -> time."""
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
        self._get = dict(columns.index)

    def _cell(self, fields: list[str], name: str) -> str:
        idx = self._get.get(name)
        if idx is None or idx >= len(fields):
            return ""
        return fields[idx].strip()

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
        cell = self._cell

        def err(column: str, message: str) -> None:
            errors.append({"row": line, "column": column, "message": message})

        external_id = cell(fields, "external_id")
        if not external_id:
            err("external_id", "external_id is empty: every appointment needs the id your scheduling system gives it")
        elif len(external_id) > MAX_TEXT:
            err("external_id", f"external_id is longer than {MAX_TEXT} characters")

        name = " ".join(cell(fields, "patient_name").split())
        if not name:
            name = " ".join(f"{cell(fields, 'first_name')} {cell(fields, 'last_name')}".split())
        if not name:
            err("patient_name", "patient_name is empty")
        elif len(name) > MAX_TEXT:
            err("patient_name", f"patient_name is longer than {MAX_TEXT} characters")

        phone = ""
        raw_phone = cell(fields, "phone")
        if not raw_phone:
            err("phone", "phone is empty")
        else:
            try:
                phone = self._phones(raw_phone)
            except InvalidPhone as exc:
                err("phone", f"phone: {exc}")

        tz_name = cell(fields, "timezone") or None
        zone: ZoneInfo | None = self.clinic_tz
        if tz_name is not None:
            zone = self._zone(tz_name)
            if zone is None:
                err("timezone", f"unknown time zone {tz_name!r}: use an IANA name such as America/New_York")

        starts_at = self._start(fields, zone, err)

        duration = DEFAULT_DURATION
        raw_duration = cell(fields, "duration_minutes")
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

        provider = cell(fields, "provider") or None
        location = cell(fields, "location") or None
        notes = cell(fields, "notes") or None
        for column, value, limit in (("provider", provider, MAX_TEXT), ("location", location, MAX_TEXT),
                                     ("notes", notes, MAX_NOTES)):
            if value is not None and len(value) > limit:
                err(column, f"{column} is longer than {limit} characters")

        if errors or starts_at is None:
            return errors
        digest = hashlib.md5(
            "\x1f".join((external_id, name, phone, starts_at.isoformat(), str(duration), provider or "",
                         location or "", tz_name or "", notes or "")).encode(),
            usedforsecurity=False,
        ).hexdigest()
        return CleanRow(line, external_id, name, phone, starts_at, duration, provider, location, tz_name,
                        notes, digest)

    def _start(self, fields: list[str], zone: ZoneInfo | None, err: Callable[[str, str], None]) -> datetime | None:
        """The start as an aware UTC instant; None (after reporting why) when it cannot be used.
        `zone` None means the row's time zone was unknown (already reported)."""
        raw = self._cell(fields, "appointment_start")
        raw_date = self._cell(fields, "appointment_date")
        raw_clock = self._cell(fields, "appointment_clock")
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
                err("appointment_time", "the appointment time is empty")
                return None
            else:
                err("appointment_start", "appointment_start is empty")
                return None
        except StartError as exc:
            err(column, str(exc))
            return None
        shown = raw if raw and column == "appointment_start" else f"{raw_date} {raw_clock or raw}"
        if value.tzinfo is None:
            if zone is None:
                return None  # already reported: unknown time zone
            local = value.replace(tzinfo=zone)
            if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
                err(column, f"{value:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks move forward "
                            "that night): check the time")
                return None
            value = local
        value = value.astimezone(UTC)
        if value <= self.now:
            err(column, f"the appointment ({shown}) is in the past")
            return None
        if value - self.now > MAX_AHEAD:
            err(column, f"the appointment ({shown}) is more than 3 years ahead: check the year")
            return None
        return value


def _looks_like_clock(text: str) -> bool:
    return _CLOCK.match(text) is not None


def find_duplicates(rows: list[tuple[int, str]]) -> dict[int, int]:
    """(line, external_id) pairs in file order -> {later line: first line} for repeated ids.

    The first occurrence owns the id; every later row with the same id is reported and not imported,
    even when the first one had errors (we cannot tell which one the clinic meant)."""
    first: dict[str, int] = {}
    dupes: dict[int, int] = {}
    for line, key in rows:
        if not key:
            continue
        if key in first:
            dupes[line] = first[key]
        else:
            first[key] = line
    return dupes
