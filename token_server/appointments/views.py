"""The clinic's appointments, filterable by calling day, status and last outcome, paginated."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from clinic.appointments.models import Outcome, Status
from clinic.phones import mask
from token_server.auth import ClinicScope
from token_server.database import Conn
from token_server.errors import COMMON_RESPONSES, not_found

router = APIRouter(prefix="/api/appointments", tags=["appointments"], responses=COMMON_RESPONSES)



class AppointmentOut(BaseModel):
    id: int
    external_id: str
    patient_name: str
    phone_masked: str = Field(description="the number with its middle digits hidden")
    starts_at: datetime
    duration_minutes: int
    provider: str | None
    location: str | None
    status: Status
    attempts_count: int
    next_attempt_at: datetime | None
    last_outcome: Outcome | None
    voicemail_left: bool
    is_test: bool


class AppointmentPage(BaseModel):
    items: list[AppointmentOut]
    total: int
    limit: int
    offset: int


_SELECT = ("SELECT a.id, a.external_id, p.full_name AS patient_name, p.phone, a.starts_at, a.duration_minutes,"
           " a.provider, a.location, a.status, a.attempts_count, a.next_attempt_at, a.last_outcome,"
           " a.voicemail_left, a.is_test FROM appointments a JOIN patients p ON p.id = a.patient_id"
           " JOIN clinics c ON c.id = a.clinic_id")


def _out(row: dict[str, Any]) -> AppointmentOut:
    return AppointmentOut.model_validate({**row, "phone_masked": mask(row["phone"])})


@router.get("", response_model=AppointmentPage)
def list_appointments(
    caller: ClinicScope, conn: Conn,
    on: Annotated[date | None, Query(alias="date", description="appointment day, clinic time")] = None,
    status: Annotated[Status | None, Query()] = None,
    outcome: Annotated[Outcome | None, Query(description="last call outcome")] = None,
    include_tests: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AppointmentPage:
    """Appointments by start time. Test-call copies are left out unless `include_tests`."""
    where = ["a.clinic_id = %s"]
    params: list[object] = [caller.clinic_id]
    if on is not None:
        where.append("(a.starts_at AT TIME ZONE c.timezone)::date = %s")
        params.append(on)
    if status is not None:
        where.append("a.status = %s")
        params.append(status)
    if outcome is not None:
        where.append("a.last_outcome = %s")
        params.append(outcome)
    if not include_tests:
        where.append("NOT a.is_test")
    clause = " WHERE " + " AND ".join(where)
    total = conn.execute("SELECT count(*) AS n FROM appointments a JOIN clinics c ON c.id = a.clinic_id" + clause,
                         params).fetchone()
    rows = conn.execute(_SELECT + clause + " ORDER BY a.starts_at, a.id LIMIT %s OFFSET %s",
                        [*params, limit, offset]).fetchall()
    return AppointmentPage(items=[_out(r) for r in rows], total=total["n"] if total else 0, limit=limit,
                           offset=offset)


@router.get("/{appointment_id}", response_model=AppointmentOut)
def get_appointment(appointment_id: int, caller: ClinicScope, conn: Conn) -> AppointmentOut:
    row = conn.execute(_SELECT + " WHERE a.id = %s AND a.clinic_id = %s",
                       (appointment_id, caller.clinic_id)).fetchone()
    if row is None:
        raise not_found("appointment", appointment_id)
    return _out(row)
