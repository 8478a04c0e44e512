"""Clinics and their API keys."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg

from clinic import events

US_STATES = frozenset((
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA",
    "WA", "WV", "WI", "WY",
))
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


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
    return start, end


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
    return row


def get_by_slug(conn: psycopg.Connection[Any], slug: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM clinics WHERE slug = %s", (slug,)).fetchone()
    if row is None:
        raise ClinicNotFound(f"no clinic with slug {slug!r}; `python -m dialer clinic list` shows them")
    return row


def get(conn: psycopg.Connection[Any], clinic_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM clinics WHERE id = %s", (clinic_id,)).fetchone()
    if row is None:
        raise ClinicNotFound(f"no clinic with id {clinic_id}")
    return row


def list_all(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    return conn.execute("SELECT * FROM clinics ORDER BY slug").fetchall()
