"""Everything one call needs, loaded from Postgres by attempt id (LiveKit metadata carries only the id)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from agent import speech
from clinic import dnc


class CallNotDialable(Exception):
    """The attempt is unknown or already ended: the job must not dial."""


class NumberOnDnc(CallNotDialable):
    """The number went on the clinic's or the global DNC list after the attempt was planned. Unlike the
    other not-dialable cases the attempt is still open: `call_flow.load` ends it (and settles the
    appointment) so it neither dials nor waits for the reaper."""

    def __init__(self, attempt_id: int, clinic_id: int, phone: str) -> None:
        super().__init__(f"call attempt {attempt_id}: number on DNC")
        self.attempt_id, self.clinic_id, self.phone = attempt_id, clinic_id, phone


@dataclass
class CallInfo:
    attempt_id: int
    attempt_number: int
    mode: str
    phone: str                 # E.164 dialed; never logged unmasked
    clinic: dict[str, Any]
    appointment: dict[str, Any]
    patient_full_name: str
    room_name: str | None = None
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.appointment.get("timezone") or self.clinic["timezone"])

    @property
    def clinic_tz(self) -> ZoneInfo:
        return ZoneInfo(self.clinic["timezone"])

    @property
    def first_name(self) -> str:
        return self.patient_full_name.split()[0]

    @property
    def clinic_name(self) -> str:
        return self.clinic["name"]

    @property
    def callback_number(self) -> str | None:
        return self.clinic.get("callback_number") or self.clinic.get("caller_id")

    def appointment_phrase(self, starts_at: datetime | None = None) -> str:
        """"Tuesday, March 2nd at 9:15 in the morning with Dr. Patel at the Main Street office"."""
        a = self.appointment
        when = speech.say_when((starts_at or a["starts_at"]).astimezone(self.clinic_tz))
        parts = [when]
        if a.get("provider"):
            parts.append(f"with {a['provider']}")
        if a.get("location"):
            loc = a["location"]
            parts.append(f"at the {loc}" if not loc.lower().startswith("the ") else f"at {loc}")
        return " ".join(parts)


def load_call(conn: psycopg.Connection[Any], attempt_id: int) -> CallInfo:
    row = conn.execute(
        "SELECT a.id, a.attempt_number, a.mode, a.phone, a.outcome, a.room_name, a.appointment_id,"
        " p.full_name FROM call_attempts a JOIN appointments ap ON ap.id = a.appointment_id"
        " JOIN patients p ON p.id = ap.patient_id WHERE a.id = %s", (attempt_id,)).fetchone()
    if row is None:
        raise CallNotDialable(f"call attempt {attempt_id} not found")
    if row["outcome"] is not None:
        raise CallNotDialable(f"call attempt {attempt_id} already ended ({row['outcome']})")
    appt = conn.execute("SELECT * FROM appointments WHERE id = %s", (row["appointment_id"],)).fetchone()
    assert appt is not None
    # Checked again at call time: the planner checked when it planned, but a patient may have asked a
    # clinic (or another clinic, for the global list) to stop calling since.
    if dnc.is_blocked(conn, row["phone"], appt["clinic_id"]):
        raise NumberOnDnc(row["id"], appt["clinic_id"], row["phone"])
    clinic = conn.execute("SELECT * FROM clinics WHERE id = %s", (appt["clinic_id"],)).fetchone()
    assert clinic is not None
    facts = {k: clinic[k] for k in ("address", "parking", "what_to_bring", "preparation") if clinic.get(k)}
    extra = clinic.get("extra_facts") or {}
    if isinstance(extra, str):
        extra = json.loads(extra)
    facts.update({str(k): str(v) for k, v in extra.items()})
    return CallInfo(attempt_id=row["id"], attempt_number=row["attempt_number"], mode=row["mode"], phone=row["phone"],
                    clinic=clinic, appointment=appt, patient_full_name=row["full_name"], room_name=row["room_name"],
                    facts=facts)


def parse_metadata(metadata: str) -> int:
    """The job metadata is `{"attempt_id": N}`; anything else is a dispatch bug worth a clear error."""
    try:
        data = json.loads(metadata or "{}")
        return int(data["attempt_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CallNotDialable(f"job metadata must be JSON with an integer attempt_id ({exc})") from None
