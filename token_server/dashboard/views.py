"""The dashboard's figures for one calling day: outcomes, confirmation rate, cost per confirmed appointment,
and that day's batch progress. Test calls are never counted."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from clinic.appointments.models import CONFIRMED_STATUSES
from clinic.clock import get_clock
from token_server.auth import ClinicScope
from token_server.batches.views import BATCH_SELECT, BatchOut
from token_server.database import Conn
from token_server.errors import COMMON_RESPONSES

router = APIRouter(prefix="/api/stats", tags=["dashboard"], responses=COMMON_RESPONSES)


class DayStats(BaseModel):
    date: date
    calls: int = Field(description="call attempts placed that day")
    in_flight: int
    outcomes: dict[str, int] = Field(description="ended calls by outcome")
    appointments_called: int
    appointments_confirmed: int = Field(description="called appointments now confirmed or rescheduled")
    confirmation_rate: float | None = Field(description="confirmed / called appointments; null when none called")
    total_cost_usd: float
    cost_per_confirmed_usd: float | None = Field(description="total cost / confirmed appointments")
    batch: BatchOut | None = Field(description="that day's batch, or the latest one before it")


def confirmation_rate(confirmed: int, called: int) -> float | None:
    return round(confirmed / called, 4) if called else None


def cost_per_confirmed(total_cost: float, confirmed: int) -> float | None:
    return round(total_cost / confirmed, 4) if confirmed else None


def _default_day(conn: Conn, caller: ClinicScope) -> date:
    """The latest batch's day (what staff mean by "tonight"), else today in the clinic's time zone."""
    row = conn.execute("SELECT max(batch_date) AS d FROM batches WHERE clinic_id = %s", (caller.clinic_id,)).fetchone()
    if row and row["d"]:
        return row["d"]
    local = conn.execute("SELECT (%s::timestamptz AT TIME ZONE %s)::date AS d",
                         (get_clock().now(), caller.clinic["timezone"])).fetchone()
    assert local is not None
    return local["d"]


@router.get("", response_model=DayStats)
def day_stats(caller: ClinicScope, conn: Conn,
              on: Annotated[date | None, Query(alias="date", description="calling day, clinic time; "
                                                "default: the latest batch's day")] = None) -> DayStats:
    day = on or _default_day(conn, caller)
    base = ("FROM call_attempts ca JOIN appointments a ON a.id = ca.appointment_id"
            " JOIN clinics c ON c.id = ca.clinic_id"
            " WHERE ca.clinic_id = %s AND NOT a.is_test AND (ca.planned_at AT TIME ZONE c.timezone)::date = %s")
    params = (caller.clinic_id, day)
    outcomes = {r["outcome"]: r["n"] for r in conn.execute(
        "SELECT ca.outcome, count(*) AS n " + base + " AND ca.outcome IS NOT NULL GROUP BY ca.outcome ORDER BY n DESC",
        params).fetchall()}
    totals = conn.execute(
        "SELECT count(*) AS calls, count(*) FILTER (WHERE ca.outcome IS NULL) AS in_flight,"
        " count(DISTINCT ca.appointment_id) AS called,"
        " count(DISTINCT ca.appointment_id) FILTER (WHERE a.status = ANY(%s)) AS confirmed,"
        " coalesce(sum(ca.cost_usd), 0) AS cost " + base, ([s.value for s in CONFIRMED_STATUSES], *params)).fetchone()
    assert totals is not None
    cost = float(totals["cost"])
    batch = conn.execute(BATCH_SELECT + " WHERE b.clinic_id = %s AND b.batch_date <= %s ORDER BY b.batch_date DESC"
                         " LIMIT 1", params).fetchone()
    return DayStats(date=day, calls=totals["calls"], in_flight=totals["in_flight"], outcomes=outcomes,
                    appointments_called=totals["called"], appointments_confirmed=totals["confirmed"],
                    confirmation_rate=confirmation_rate(totals["confirmed"], totals["called"]),
                    total_cost_usd=round(cost, 5), cost_per_confirmed_usd=cost_per_confirmed(cost, totals["confirmed"]),
                    batch=BatchOut.model_validate(batch) if batch else None)
