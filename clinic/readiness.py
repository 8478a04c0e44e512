"""Can this clinic be dialed? What a call needs from the clinic before the first patient's phone rings.

A clinic made with plain `clinic add` has a name and a zone but nothing to dial with: every agent job
would fail at CreateSIPParticipant ("no sip_trunk_id"), and a patient who picks up would hear a voicemail
with no callback number, or ask for the front desk and get nowhere. So the planner plans nothing for a
clinic until these are set (dry-run reason `not_ready`, naming what is missing), and
`python -m dialer clinic check` says the same plus whether LiveKit really has the trunk:

- `sip_trunk_id`: the outbound trunk calls go out on (`python -m dialer clinic trunk create`);
- `caller_id`: the number patients see (and the trunk's number);
- `callback_number`: said in voicemails ("call us back at ...");
- `transfer_number`: the front desk a patient asking for a person is transferred to;
- `free_slots`: at least one free slot ahead, or rescheduling could offer nothing.

The database checks are pure (`missing_in_row`) plus one count, cheap enough for every planner tick; the
LiveKit check (`trunk_on_server`) is a network call, done by `clinic check`, not each tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

REQUIRED_SETTINGS = ("sip_trunk_id", "caller_id", "callback_number", "transfer_number")
FREE_SLOTS = "free_slots"

_HOW = {
    "sip_trunk_id": "python -m dialer clinic trunk create --slug S",
    "caller_id": "python -m dialer clinic update --slug S --caller-id NUMBER",
    "callback_number": "python -m dialer clinic update --slug S --callback-number NUMBER",
    "transfer_number": "python -m dialer clinic update --slug S --transfer-number NUMBER",
    FREE_SLOTS: "python -m dialer slots generate --clinic S --provider P --from DAY --to DAY",
    "trunk_on_server": "python -m dialer clinic trunk create --slug S (the stored trunk id is not on LiveKit)",
}


@dataclass(frozen=True)
class Readiness:
    missing: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.missing

    def reason(self) -> str:
        """`not_ready: sip_trunk_id, callback_number` (the planner's dry-run reason)."""
        return "not_ready: " + ", ".join(self.missing) if self.missing else "ready"

    def how_to_fix(self, slug: str) -> list[str]:
        return [_HOW[m].replace(" S", f" {slug}", 1) for m in self.missing if m in _HOW]


def missing_in_row(clinic: dict[str, Any], free_slots: int) -> list[str]:
    """Pure: the required settings the clinic row lacks, and `free_slots` when none is free."""
    missing = [name for name in REQUIRED_SETTINGS if not (clinic.get(name) or "").strip()]
    if free_slots <= 0:
        missing.append(FREE_SLOTS)
    return missing


def free_slot_count(conn: psycopg.Connection[Any], clinic_id: int, now: datetime, limit: int = 1000) -> int:
    """Free slots starting after `now` (capped: the planner only needs to know there is one)."""
    row = conn.execute("SELECT count(*) AS n FROM (SELECT 1 FROM slots WHERE clinic_id = %s AND appointment_id IS NULL"
                       " AND starts_at > %s LIMIT %s) s", (clinic_id, now, limit)).fetchone()
    return int(row["n"] if isinstance(row, dict) else row[0]) if row else 0


def check_db(conn: psycopg.Connection[Any], clinic: dict[str, Any], now: datetime) -> Readiness:
    """What the planner checks every tick (no network)."""
    return Readiness(tuple(missing_in_row(clinic, free_slot_count(conn, clinic["id"], now))))
