"""Everything one call needs, loaded from Postgres by attempt id (LiveKit metadata carries only the id)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import tuple_row

from agent import speech
from clinic import dnc
from clinic.appointments.models import Appointment, Clinic
from clinic.appointments.service import get_appointment, get_attempt, get_clinic


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
    clinic: Clinic
    appointment: Appointment   # replaced by the stored row after a tool moves it (call_actions.book)
    patient_full_name: str
    room_name: str | None = None
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.appointment.timezone or self.clinic.timezone)

    @property
    def clinic_tz(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.timezone)

    @property
    def first_name(self) -> str:
        return self.patient_full_name.split()[0]

    @property
    def clinic_name(self) -> str:
        return self.clinic.name

    @property
    def callback_number(self) -> str | None:
        return self.clinic.callback_or_caller_id

    def appointment_phrase(self, starts_at: datetime | None = None) -> str:
        """"Tuesday, March 2nd at 9:15 in the morning with Dr. Patel at the Main Street office"."""
        a = self.appointment
        when = speech.say_when((starts_at or a.starts_at).astimezone(self.clinic_tz))
        parts = [when]
        if a.provider:
            parts.append(f"with {a.provider}")
        if a.location:
            loc = a.location
            parts.append(f"at the {loc}" if not loc.lower().startswith("the ") else f"at {loc}")
        return " ".join(parts)


def load_call(conn: psycopg.Connection[Any], attempt_id: int) -> CallInfo:
    """Everything the call needs, as typed records. Raises CallNotDialable for an unknown or ended attempt
    and NumberOnDnc when the number went on a DNC list since it was planned."""
    attempt = get_attempt(conn, attempt_id)
    if attempt is None:
        raise CallNotDialable(f"call attempt {attempt_id} not found")
    if attempt.outcome is not None:
        raise CallNotDialable(f"call attempt {attempt_id} already ended ({attempt.outcome})")
    appt = get_appointment(conn, attempt.appointment_id)
    assert appt is not None  # call_attempts.appointment_id is a foreign key
    # Checked again at call time: the planner checked when it planned, but a patient may have asked a
    # clinic (or another clinic, for the global list) to stop calling since.
    if dnc.is_blocked(conn, attempt.phone, appt.clinic_id):
        raise NumberOnDnc(attempt.id, appt.clinic_id, attempt.phone)
    clinic = get_clinic(conn, appt.clinic_id)
    assert clinic is not None
    with conn.cursor(row_factory=tuple_row) as cur:
        patient = cur.execute("SELECT full_name FROM patients WHERE id = %s", (appt.patient_id,)).fetchone()
    assert patient is not None
    told = {"address": clinic.address, "parking": clinic.parking, "what_to_bring": clinic.what_to_bring,
            "preparation": clinic.preparation}
    facts = {k: v for k, v in told.items() if v}
    facts.update({str(k): str(v) for k, v in clinic.extra_facts.items()})
    return CallInfo(attempt_id=attempt.id, attempt_number=attempt.attempt_number, mode=attempt.mode,
                    phone=attempt.phone, clinic=clinic, appointment=appt, patient_full_name=patient[0],
                    room_name=attempt.room_name, facts=facts)


def parse_metadata(metadata: str) -> int:
    """The job metadata is `{"attempt_id": N}`; anything else is a dispatch bug worth a clear error."""
    try:
        data = json.loads(metadata or "{}")
        return int(data["attempt_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CallNotDialable(f"job metadata must be JSON with an integer attempt_id ({exc})") from None
