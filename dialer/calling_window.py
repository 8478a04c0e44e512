"""When a patient may be called: a pure function of the instant, the clinic's rules and the patient's zone.

The window is the clinic's calling hours on its open days (its calendar, `clinic.calling_calendar`)
∩ 08:00-21:00 in the patient's local time (the appointment row's zone, else every zone the phone number
may ring in, see `patient_zones`) ∩ the clinic state's stricter rule ∩ the patient's state's stricter rule
(both in patient local time). The patient's state comes from the phone's area code
(`dialer.patient_state`); when it is unknown (or the same state) only the clinic's rule applies. Applying
both is the strictest reading: state rules protect the called party, and a patient in another state
(another zone, or an out-of-state number) may live under a rule the clinic's state does not have. All
arithmetic goes through zoneinfo from an aware UTC instant, so DST transitions need no special cases: the
local wall clock is what it is at that instant. The 08:00-21:00 bound is not configurable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_timezones

from clinic.calling_calendar import ClinicCalendar
from dialer.state_rules import STATE_RULES, StateRule

FEDERAL_START = time(8)
FEDERAL_END = time(21)


@dataclass(frozen=True)
class ClinicWindow:
    """The clinic's side of the window: its calendar (zone, hours, closed days) and its state's rule."""

    calendar: ClinicCalendar
    us_state: str | None = None

    @classmethod
    def from_clinic_row(cls, row: Mapping[str, Any]) -> ClinicWindow:
        return cls(ClinicCalendar.from_clinic_row(row), us_state=row.get("us_state"))


def _within(t: time, start: time, end: time) -> bool:
    return start <= t < end


def state_rules_for(clinic_state: str | None, patient_state: str | None) -> list[StateRule]:
    """Pure: the state rules a call must satisfy, the clinic's and (when known and different) the
    patient's; every one of them applies, so the strictest hours win."""
    codes = {(clinic_state or "").upper(), (patient_state or "").upper()} - {""}
    return [STATE_RULES[c] for c in sorted(codes) if c in STATE_RULES]


@lru_cache(maxsize=65_536)
def zones_for_number(phone_e164: str | None) -> tuple[str, ...]:
    """Every IANA zone the number's prefix may ring in (libphonenumber's prefix-to-zone metadata): one for
    `+81 3...` (Asia/Tokyo) or `+1 212...` (America/New_York), several for a mobile prefix spanning a
    country (`+61 4...`: all of Australia's). Empty when the number cannot be placed. Cached per number."""
    if not phone_e164:
        return ()
    try:
        parsed = phonenumbers.parse(phone_e164, None)
    except phonenumbers.NumberParseException:
        return ()
    zones = []
    for name in number_timezones.time_zones_for_number(parsed):
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue  # "Etc/Unknown", or a zone this tzdata lacks
        zones.append(name)
    return tuple(sorted(zones))


def patient_zones(patient_tz: str | None, phone_e164: str | None, clinic_tz: str) -> tuple[str, ...]:
    """The zones whose local time must be inside 08:00-21:00 for a call to start.

    The row's zone when the call list gives one (the clinic knows where the patient lives). Otherwise
    every zone the number may be in, from its country and prefix: a Tokyo number is called in Tokyo's
    daytime even by a New York clinic, and a number whose prefix spans zones must be inside the window in
    all of them (the strictest reading: we cannot tell which one the patient is in). Only a number that
    cannot be placed at all falls back to the clinic's zone."""
    if patient_tz:
        return (patient_tz,)
    return zones_for_number(phone_e164) or (clinic_tz,)


def why_not_callable(rules: ClinicWindow, patient_tz: str | None, at: datetime,
                     patient_state: str | None = None, phone: str | None = None) -> str | None:
    """None when a call may start at `at`; else 'closed_day' or 'outside_window'. `patient_state` is the
    patient's US state code (from the phone's area code), None when unknown. `phone` (E.164) gives the
    patient's zones when `patient_tz` is None (see `patient_zones`)."""
    closed = rules.calendar.why_closed(at)  # raises on a naive instant
    if closed is not None:
        return "closed_day" if closed == "closed_day" else "outside_window"
    for zone in patient_zones(patient_tz, phone, rules.calendar.timezone):
        patient_local = at.astimezone(ZoneInfo(zone))
        t = patient_local.time()
        if not _within(t, FEDERAL_START, FEDERAL_END):
            return "outside_window"
        for state in state_rules_for(rules.us_state, patient_state):
            hours = state.hours_on(patient_local.isoweekday())
            if hours is None:
                return "closed_day"
            if not _within(t, *hours):
                return "outside_window"
    return None


def is_callable(rules: ClinicWindow, patient_tz: str | None, at: datetime, patient_state: str | None = None,
                phone: str | None = None) -> bool:
    return why_not_callable(rules, patient_tz, at, patient_state, phone) is None


def next_callable(rules: ClinicWindow, patient_tz: str | None, after: datetime,
                  horizon: timedelta = timedelta(days=14), step: timedelta = timedelta(minutes=1),
                  patient_state: str | None = None, phone: str | None = None) -> datetime | None:
    """First instant at or after `after` (to the minute) when a call may start, within `horizon`.

    Scans in minutes: every boundary of the window is a whole minute of some local clock (all US zones
    have whole-hour or half-hour offsets), so a minute scan is exact and obviously correct.
    """
    at = after.replace(second=0, microsecond=0)
    if at < after:
        at += step
    end = after + horizon
    while at <= end:
        if is_callable(rules, patient_tz, at, patient_state, phone):
            return at
        at += step
    return None
