"""Call attempts: the calls table and one call's outcome, transcript, summary, cost, timings and tool timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from clinic.appointments.models import AttemptStatus, Outcome, Status
from clinic.phones import mask
from token_server.auth import ClinicScope
from token_server.database import Conn
from token_server.errors import COMMON_RESPONSES, not_found

router = APIRouter(prefix="/api/calls", tags=["calls"], responses=COMMON_RESPONSES)

Mode = Literal["sip", "web", "sim"]


class CallRow(BaseModel):
    id: int
    appointment_id: int
    external_id: str
    patient_name: str
    phone_masked: str
    appointment_starts_at: datetime
    attempt_number: int
    mode: Mode
    status: AttemptStatus
    outcome: Outcome | None
    planned_at: datetime
    ended_at: datetime | None
    duration_seconds: float | None
    cost_usd: float | None
    is_test: bool


class CallPage(BaseModel):
    items: list[CallRow]
    total: int
    limit: int
    offset: int


class TimelineItem(BaseModel):
    at: datetime | None
    kind: str = Field(description="e.g. call_attempt.ended, tool.confirm_appointment")
    actor: str
    data: dict[str, Any]


class CallDetail(CallRow):
    room_name: str | None
    provider: str | None
    appointment_status: Status
    sip_status_code: int | None
    sip_status: str | None
    error: str | None
    dispatched_at: datetime | None
    dial_started_at: datetime | None
    answered_at: datetime | None
    summary: str | None
    usage: dict[str, Any] | None
    transcript: list[dict[str, Any]] = Field(description="turns ({role, text, ...}) and tool calls, in order")
    timeline: list[TimelineItem] = Field(description="what happened to this call, oldest first")


_SELECT = ("SELECT ca.*, a.external_id, a.starts_at AS appointment_starts_at, a.is_test, a.provider,"
           " a.status AS appointment_status, p.full_name AS patient_name"
           " FROM call_attempts ca JOIN appointments a ON a.id = ca.appointment_id"
           " JOIN patients p ON p.id = a.patient_id JOIN clinics c ON c.id = ca.clinic_id")


def _numbers(row: dict[str, Any]) -> dict[str, Any]:
    out = {**row, "phone_masked": mask(row["phone"])}
    for key in ("duration_seconds", "cost_usd"):
        if out.get(key) is not None:
            out[key] = float(out[key])
    return out


def _transcript(value: Any) -> list[dict[str, Any]]:
    """Agents store either a list of items or {"items": [...]}; strings become plain turns."""
    if isinstance(value, dict):
        value = value.get("items", [])
    if not isinstance(value, list):
        return []
    return [item if isinstance(item, dict) else {"role": "unknown", "text": str(item)} for item in value]


@router.get("", response_model=CallPage)
def list_calls(
    caller: ClinicScope, conn: Conn,
    on: Annotated[date | None, Query(alias="date", description="day the call was placed, clinic time")] = None,
    outcome: Annotated[Outcome | None, Query()] = None,
    status: Annotated[AttemptStatus | None, Query()] = None,
    mode: Annotated[Mode | None, Query()] = None,
    include_tests: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CallPage:
    """Calls newest first."""
    where = ["ca.clinic_id = %s"]
    params: list[object] = [caller.clinic_id]
    if on is not None:
        where.append("(ca.planned_at AT TIME ZONE c.timezone)::date = %s")
        params.append(on)
    for column, value in (("ca.outcome", outcome), ("ca.status", status), ("ca.mode", mode)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if not include_tests:
        where.append("NOT a.is_test")
    clause = " WHERE " + " AND ".join(where)
    total = conn.execute("SELECT count(*) AS n FROM call_attempts ca JOIN appointments a ON a.id = ca.appointment_id"
                         " JOIN clinics c ON c.id = ca.clinic_id" + clause, params).fetchone()
    rows = conn.execute(_SELECT + clause + " ORDER BY ca.planned_at DESC, ca.id DESC LIMIT %s OFFSET %s",
                        [*params, limit, offset]).fetchall()
    return CallPage(items=[CallRow.model_validate(_numbers(r)) for r in rows], total=total["n"] if total else 0,
                    limit=limit, offset=offset)


@router.get("/{call_id}", response_model=CallDetail)
def get_call(call_id: int, caller: ClinicScope, conn: Conn) -> CallDetail:
    """One call: outcome, transcript, summary, cost, timings and the timeline of what the agent did."""
    row = conn.execute(_SELECT + " WHERE ca.id = %s AND ca.clinic_id = %s", (call_id, caller.clinic_id)).fetchone()
    if row is None:
        raise not_found("call", call_id)
    timeline = conn.execute(
        "SELECT occurred_at AS at, kind, actor, data FROM events WHERE clinic_id = %s"
        " AND subject_type IN ('call_attempt', 'call') AND subject_id = %s ORDER BY occurred_at, id",
        (caller.clinic_id, call_id)).fetchall()
    return CallDetail.model_validate({**_numbers(row), "transcript": _transcript(row["transcript"]),
                                      "timeline": timeline})
