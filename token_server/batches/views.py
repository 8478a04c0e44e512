"""The nights' batches and their progress (the dialer's `batch_progress` view); pause and resume."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from clinic import events
from clinic.clock import get_clock
from token_server.auth import ClinicScope
from token_server.database import Conn
from token_server.errors import COMMON_RESPONSES, not_found

router = APIRouter(prefix="/api/batches", tags=["batches"], responses=COMMON_RESPONSES)


class BatchOut(BaseModel):
    id: int
    batch_date: date = Field(description="the calling day, clinic time")
    built_at: datetime
    planned: int = Field(description="appointments in the batch when it was built")
    paused_at: datetime | None
    paused_reason: str | None
    appointments: int
    dialed: int = Field(description="appointments with at least one attempt")
    reached: int = Field(description="appointments where a person answered")
    in_flight: int
    pending: int
    confirmed: int
    rescheduled: int
    cancelled: int
    unreachable: int
    staff_followup: int
    voicemail_left: int


class PauseIn(BaseModel):
    reason: str = Field("paused from the clinic page", min_length=1, max_length=500)


BATCH_SELECT = ("SELECT b.id, b.batch_date, b.built_at, b.planned, b.paused_at, b.paused_reason, p.appointments,"
           " p.dialed, p.reached, p.in_flight, p.pending, p.confirmed, p.rescheduled, p.cancelled, p.unreachable,"
           " p.staff_followup, p.voicemail_left FROM batches b JOIN batch_progress p ON p.batch_id = b.id")


@router.get("", response_model=list[BatchOut])
def list_batches(caller: ClinicScope, conn: Conn, limit: Annotated[int, Query(ge=1, le=100)] = 14) -> list[BatchOut]:
    """Most recent calling days first, with progress counts."""
    rows = conn.execute(BATCH_SELECT + " WHERE b.clinic_id = %s ORDER BY b.batch_date DESC LIMIT %s",
                        (caller.clinic_id, limit)).fetchall()
    return [BatchOut.model_validate(r) for r in rows]


def _get(conn: Conn, caller: ClinicScope, batch_id: int) -> BatchOut:
    row = conn.execute(BATCH_SELECT + " WHERE b.id = %s AND b.clinic_id = %s", (batch_id, caller.clinic_id)).fetchone()
    if row is None:
        raise not_found("batch", batch_id)
    return BatchOut.model_validate(row)


@router.get("/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: int, caller: ClinicScope, conn: Conn) -> BatchOut:
    return _get(conn, caller, batch_id)


@router.post("/{batch_id}/pause", response_model=BatchOut)
def pause_batch(batch_id: int, caller: ClinicScope, conn: Conn,
                body: Annotated[PauseIn | None, Body()] = None) -> BatchOut:
    """Stop placing new calls for this batch (calls in progress finish). Pausing twice keeps the first time."""
    reason = (body or PauseIn()).reason
    row = conn.execute(
        "UPDATE batches SET paused_at = COALESCE(paused_at, %s), paused_reason = COALESCE(paused_reason, %s)"
        " WHERE id = %s AND clinic_id = %s RETURNING id", (get_clock().now(), reason, batch_id, caller.clinic_id)
    ).fetchone()
    if row is None:
        raise not_found("batch", batch_id)
    events.record(conn, kind="batch.paused", actor=caller.actor, clinic_id=caller.clinic_id,
                  subject_type="batch", subject_id=batch_id, data={"reason": reason})
    conn.commit()
    return _get(conn, caller, batch_id)


@router.post("/{batch_id}/resume", response_model=BatchOut)
def resume_batch(batch_id: int, caller: ClinicScope, conn: Conn) -> BatchOut:
    row = conn.execute("UPDATE batches SET paused_at = NULL, paused_reason = NULL WHERE id = %s AND clinic_id = %s"
                       " RETURNING id", (batch_id, caller.clinic_id)).fetchone()
    if row is None:
        raise not_found("batch", batch_id)
    events.record(conn, kind="batch.resumed", actor=caller.actor, clinic_id=caller.clinic_id,
                  subject_type="batch", subject_id=batch_id)
    conn.commit()
    return _get(conn, caller, batch_id)
