"""Clinics and their API keys."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from psycopg import sql

from clinic import events
from clinic.phones import InvalidPhone, mask, region_for_country, to_e164

US_STATES = frozenset((
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA",
    "WA", "WV", "WI", "WY",
))
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
MAX_NAME = 120  # said aloud to every patient ("calling from ..."): a clinic's name, not a paragraph
LEGAL_START, LEGAL_END = time(8), time(21)  # the 08:00-21:00 rule (dialer.calling_window), clinic-side view


class ClinicError(ValueError):
    """A clinic setting is invalid; the message names the setting and what to do."""


class ClinicNotFound(LookupError):
    pass


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClinicError(f"unknown time zone {name!r}: use an IANA name such as America/New_York") from None


def parse_calling_hours(text: str) -> tuple[time, time]:
    m = _HOURS.match(text.strip())
    if not m:
        raise ClinicError(f"calling hours {text!r} must look like 09:00-19:00")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ClinicError(f"calling hours {text!r} are not valid times of day")
    start, end = time(h1, m1), time(h2, m2)
    if end <= start:
        raise ClinicError(f"calling hours {text!r} must end after they start")
    if end <= LEGAL_START or start >= LEGAL_END:
        raise ClinicError(f"calling hours {text!r} are entirely outside 08:00-21:00, when calls are allowed: "
                          "nobody could ever be called; give hours inside 08:00-21:00")
    return start, end


def hours_warning(start: time, end: time) -> str | None:
    """Hours that are partly outside 08:00-21:00 are accepted (the window still applies), with a warning."""
    if start < LEGAL_START or end > LEGAL_END:
        return (f"calling hours {start:%H:%M}-{end:%H:%M} reach outside 08:00-21:00: calls only start inside "
                f"{max(start, LEGAL_START):%H:%M}-{min(end, LEGAL_END):%H:%M} (and inside 08:00-21:00 patient time)")
    return None


def check_name(raw: str) -> str:
    """A clinic name: not empty, at most MAX_NAME characters, on one line."""
    name = " ".join((raw or "").split())
    if not name:
        raise ClinicError("name must not be empty: the agent says it to every patient")
    if len(raw) > MAX_NAME:
        raise ClinicError(f"name is {len(raw)} characters; at most {MAX_NAME}")
    return name


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    id: int
    key: str
    prefix: str


def create_api_key(conn: psycopg.Connection[Any], clinic_id: int | None, label: str = "") -> NewKey:
    """Mint a key; only its hash is stored, so the caller must show `key` to the user now or never."""
    key = "cd_" + secrets.token_urlsafe(32)
    prefix = key[:10]
    row = conn.execute(
        "INSERT INTO api_keys (clinic_id, key_hash, prefix, label) VALUES (%s, %s, %s, %s) RETURNING id",
        (clinic_id, hash_key(key), prefix, label),
    ).fetchone()
    assert row is not None
    events.record(conn, kind="api_key.created", actor="cli", clinic_id=clinic_id,
                  subject_type="api_key", subject_id=row["id"], data={"prefix": prefix})
    return NewKey(row["id"], key, prefix)


def revoke_api_key(conn: psycopg.Connection[Any], prefix: str) -> int:
    cur = conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE prefix = %s AND revoked_at IS NULL", (prefix,)
    )
    return cur.rowcount


def create_clinic(
    conn: psycopg.Connection[Any],
    *,
    slug: str,
    name: str,
    timezone: str,
    state: str | None,
    calling_hours: str = "09:00-19:00",
    **extra: Any,
) -> dict[str, Any]:
    parse_timezone(timezone)
    name = check_name(name)
    start, end = parse_calling_hours(calling_hours)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", slug):
        raise ClinicError(f"slug {slug!r} must be lowercase letters, digits and dashes")
    if state is not None:
        state = state.upper()
        if state not in US_STATES:
            raise ClinicError(f"state {state!r} is not a US state code such as CA or NY")
    columns = {"slug": slug, "name": name, "timezone": timezone, "us_state": state,
               "calling_hours_start": start, "calling_hours_end": end, **extra}
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    try:
        row = conn.execute(
            f"INSERT INTO clinics ({names}) VALUES ({marks}) RETURNING *", list(columns.values())
        ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise ClinicError(f"a clinic with slug {slug!r} already exists") from None
    assert row is not None
    events.record(conn, kind="clinic.created", actor="cli", clinic_id=row["id"],
                  subject_type="clinic", subject_id=row["id"], data={"slug": slug})
    return cast(dict[str, Any], row)


@dataclass(frozen=True)
class ClinicUpdate:
    """Settings an operator may change on an existing clinic; None means "leave as is"."""

    name: str | None = None
    calling_hours: str | None = None
    caller_id: str | None = None
    callback_number: str | None = None
    transfer_number: str | None = None
    sip_trunk_id: str | None = None
    max_concurrent_calls: int | None = None
    calls_per_second: float | None = None
    allow_test_numbers: Sequence[str] = ()
    disallow_test_numbers: Sequence[str] = ()

    def is_empty(self) -> bool:
        return all(getattr(self, f) in (None, ()) for f in self.__dataclass_fields__)


def _hours_text(start: time, end: time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def plan_update(clinic: dict[str, Any], update: ClinicUpdate) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Validate `update` against the clinic's current row. Returns the columns to write and, per changed setting,
    `{"from", "to"}` for printing and the audit trail (test numbers masked: they may be staff's own phones).
    Pure, so the rules are tested without a database; raises ClinicError naming the bad setting."""
    columns: dict[str, Any] = {}
    changed: dict[str, dict[str, Any]] = {}

    def change(setting: str, old: Any, new: Any, **cols: Any) -> None:
        if old != new:
            columns.update(cols)
            changed[setting] = {"from": old, "to": new}

    if update.name is not None:
        name = check_name(update.name)
        change("name", clinic["name"], name, name=name)
    if update.calling_hours is not None:
        start, end = parse_calling_hours(update.calling_hours)
        change("calling_hours", _hours_text(clinic["calling_hours_start"], clinic["calling_hours_end"]),
               _hours_text(start, end), calling_hours_start=start, calling_hours_end=end)
    region = region_for_country(clinic.get("country"))
    for field in ("caller_id", "callback_number", "transfer_number"):
        raw = getattr(update, field)
        if raw is not None:
            try:
                e164 = to_e164(raw, region)
            except InvalidPhone as exc:
                raise ClinicError(f"{field}: {exc}") from None
            change(field, clinic[field], e164, **{field: e164})
    if update.sip_trunk_id is not None:
        trunk = update.sip_trunk_id.strip()
        if not trunk or len(trunk) > 100:
            raise ClinicError("sip_trunk_id must be a LiveKit trunk id like ST_... (1-100 characters)")
        change("sip_trunk_id", clinic["sip_trunk_id"], trunk, sip_trunk_id=trunk)
    if update.max_concurrent_calls is not None:
        if update.max_concurrent_calls <= 0:
            raise ClinicError("max_concurrent_calls must be a positive whole number,"
                              f" not {update.max_concurrent_calls}")
        change("max_concurrent_calls", clinic["max_concurrent_calls"], update.max_concurrent_calls,
               max_concurrent_calls=update.max_concurrent_calls)
    if update.calls_per_second is not None:
        if not math.isfinite(update.calls_per_second):
            raise ClinicError("calls_per_second must be a number between 0.01 and 9999.99,"
                              f" not {update.calls_per_second}")
        try:
            cps = Decimal(str(update.calls_per_second)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ClinicError(f"calls_per_second {update.calls_per_second} is not a number") from None
        if not Decimal("0.01") <= cps <= Decimal("9999.99"):
            raise ClinicError(f"calls_per_second must be between 0.01 and 9999.99, not {update.calls_per_second}")
        change("calls_per_second", Decimal(clinic["calls_per_second"]), cps, calls_per_second=cps)
    if update.allow_test_numbers or update.disallow_test_numbers:
        def normalise(raws: Sequence[str], flag: str) -> list[str]:
            out = []
            for raw in raws:
                try:
                    out.append(to_e164(raw, region))
                except InvalidPhone as exc:
                    raise ClinicError(f"{flag}: {exc}") from None
            return out

        allow = normalise(update.allow_test_numbers, "allow_test_number")
        disallow = normalise(update.disallow_test_numbers, "disallow_test_number")
        if both := set(allow) & set(disallow):
            raise ClinicError(f"{mask(min(both))} is both allowed and disallowed; give it once")
        current = list(clinic["test_allowlist"] or [])
        missing = [n for n in disallow if n not in current]
        if missing:
            raise ClinicError(f"disallow_test_number: {mask(missing[0])} is not on the test allow-list")
        new = [n for n in dict.fromkeys(current + allow) if n not in disallow]
        change("test_allowlist", [mask(n) for n in current], [mask(n) for n in new], test_allowlist=new)
    return columns, changed


def update_clinic(conn: psycopg.Connection[Any], slug: str, update: ClinicUpdate,
                  actor: str = "cli") -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Apply `update` to a clinic (row locked, so concurrent updates of the allow-list don't lose numbers) and
    record a `clinic.updated` audit event. Returns the new row and what changed (empty: nothing written)."""
    # psycopg has no loader for the e164[] domain array and would return '{...}' text: read it as text[].
    clinic = conn.execute("SELECT *, test_allowlist::text[] AS allowlist FROM clinics WHERE slug = %s FOR UPDATE",
                          (slug,)).fetchone()
    if clinic is None:
        raise ClinicNotFound(f"no clinic with slug {slug!r}; `python -m dialer clinic list` shows them")
    clinic["test_allowlist"] = clinic.pop("allowlist")
    columns, changed = plan_update(clinic, update)
    if not columns:
        return clinic, {}
    assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in columns)
    row = conn.execute(sql.SQL("UPDATE clinics SET {}, updated_at = now() WHERE id = %s"
                               " RETURNING *, test_allowlist::text[] AS allowlist")
                       .format(assignments), [*columns.values(), clinic["id"]]).fetchone()
    assert row is not None
    row["test_allowlist"] = row.pop("allowlist")
    events.record(conn, kind="clinic.updated", actor=actor, clinic_id=row["id"], subject_type="clinic",
                  subject_id=row["id"], data={"slug": slug, "changed": {
                      k: {"from": _jsonable(v["from"]), "to": _jsonable(v["to"])} for k, v in changed.items()}})
    return row, changed


def _jsonable(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def get_by_slug(conn: psycopg.Connection[Any], slug: str) -> dict[str, Any]:
    row: dict[str, Any] | None = conn.execute("SELECT * FROM clinics WHERE slug = %s", (slug,)).fetchone()
    if row is None:
        raise ClinicNotFound(f"no clinic with slug {slug!r}; `python -m dialer clinic list` shows them")
    return row


def get(conn: psycopg.Connection[Any], clinic_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = conn.execute("SELECT * FROM clinics WHERE id = %s", (clinic_id,)).fetchone()
    if row is None:
        raise ClinicNotFound(f"no clinic with id {clinic_id}")
    return row


def list_all(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    return conn.execute("SELECT * FROM clinics ORDER BY slug").fetchall()
