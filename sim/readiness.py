"""Give a clinic what a simulated run needs to dial it, pointing at the simulated phone network.

A clinic made with plain `python -m dialer clinic add` is not ready to dial (clinic.readiness): no trunk,
no caller id, no callback or transfer number, no free slots. Production refuses it; a simulated run gives it
the simulated network's trunk and numbers (fictional 555-01xx numbers the personas' network answers) and
free slots for the call list's providers, and says so on stderr, so any clinic can be simulated. Settings
the clinic already has are never replaced."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg

from clinic import readiness, slots

SIM_TRUNK_ID = "ST_simulated_phone_network"
SIM_NUMBERS = {"caller_id": "+12125550100", "callback_number": "+12125550100", "transfer_number": "+12125550101"}
SLOT_PROVIDER = "Simulated provider"


def make_simulable(conn: psycopg.Connection[Any], clinic: dict[str, Any], *, providers: list[str], first_day: date,
                   days: int = 14) -> list[str]:
    """Fill in what the clinic lacks (in the caller's transaction); returns one line per thing given."""
    given: list[str] = []
    missing = readiness.missing_in_row(clinic, 1)
    if "sip_trunk_id" in missing:
        conn.execute("UPDATE clinics SET sip_trunk_id = %s, updated_at = now() WHERE id = %s",
                     (SIM_TRUNK_ID, clinic["id"]))
        given.append(f"sip_trunk_id {SIM_TRUNK_ID} (the simulated phone network)")
    for field, number in SIM_NUMBERS.items():
        if field in missing:
            conn.execute(f"UPDATE clinics SET {field} = %s, updated_at = now() WHERE id = %s", (number, clinic["id"]))
            given.append(f"{field} {number} (simulated)")
    if readiness.free_slot_count(conn, clinic["id"], datetime.combine(first_day, time(0), UTC)) == 0:
        for provider in providers or [SLOT_PROVIDER]:
            slots.generate(conn, clinic_id=clinic["id"], tz_name=clinic["timezone"], provider=provider,
                           start=first_day, end=first_day + timedelta(days=days), location=None)
        given.append(f"free slots for {len(providers or [SLOT_PROVIDER])} provider(s) over {days} days")
    return given
