"""LiveKit webhooks, verified with livekit-api's WebhookReceiver (signed JWT carrying the body's SHA-256).
Unsigned or tampered requests are 401 and change nothing.

Replays: a webhook's `created_at` must be within WEBHOOK_MAX_AGE_SECONDS of the wall clock (LiveKit stamps
wall time), and each webhook id is applied once (`livekit_webhooks`); a replay is a 409 and changes
nothing. `room_finished` can shorten a live call's deadline (the reaper would end it `lost` and redial the
patient), so before acting on it the token server asks LiveKit itself whether the room is gone
(ListRooms): a room that is still open, or a LiveKit that cannot be asked, leaves the attempt to the
reaper's own in-call deadline."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import aiohttp
from fastapi import APIRouter, Header, HTTPException, Request, status
from google.protobuf.json_format import ParseError
from livekit import api
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from clinic import events
from clinic.clock import get_clock
from clinic.logs import get_logger
from clinic.outcomes import expect_outcome_by, mark_attempt
from clinic.settings import get_settings
from token_server.database import Conn
from token_server.errors import ErrorBody
from token_server.webhooks import rules

router = APIRouter(prefix="/api/livekit", tags=["livekit"])
log = get_logger(__name__)


class WebhookResult(BaseModel):
    event: str
    attempt_id: int | None
    action: str


def _receiver() -> api.WebhookReceiver:
    settings = get_settings()
    return api.WebhookReceiver(api.TokenVerifier(settings.livekit_api_key,
                                                 settings.livekit_api_secret.get_secret_value()))


async def room_is_gone(room_name: str) -> bool | None:
    """True when LiveKit has no room by that name, False when it has, None when LiveKit cannot be asked."""
    settings = get_settings()
    try:
        async with api.LiveKitAPI(settings.livekit_url, settings.livekit_api_key,
                                  settings.livekit_api_secret.get_secret_value(),
                                  timeout=aiohttp.ClientTimeout(total=5)) as lk:
            rooms = await lk.room.list_rooms(api.ListRoomsRequest(names=[room_name]))
    except Exception as exc:
        log.warning("webhook.room_check_failed", error=type(exc).__name__)
        return None
    return not any(r.name == room_name for r in rooms.rooms)


def _first_delivery(conn: Any, event_id: str, event: str, created_at: datetime) -> bool:
    """Record the webhook id; False if it was already recorded (a replay)."""
    row = conn.execute("INSERT INTO livekit_webhooks (id, event, created_at) VALUES (%s, %s, %s)"
                       " ON CONFLICT (id) DO NOTHING RETURNING id", (event_id, event, created_at)).fetchone()
    return row is not None


def apply(conn: Any, action: rules.Action) -> str:
    """Carry out the action; returns what happened, for the response and the audit trail."""
    now = get_clock().now()
    exists = conn.execute("SELECT outcome FROM call_attempts WHERE id = %s", (action.attempt_id,)).fetchone()
    if exists is None:
        return "unknown attempt"
    if action.kind == "mark":
        assert action.status is not None
        moved = mark_attempt(conn, action.attempt_id, action.status, now=now)
        return f"marked {action.status}" if moved else "unchanged"
    if exists["outcome"] is not None:
        return "unchanged (already ended)"
    grace = timedelta(seconds=get_settings().room_finished_grace_seconds)
    row = expect_outcome_by(conn, action.attempt_id, now + grace, now=now)
    return f"awaiting outcome until {row['deadline_at'].isoformat()}" if row else "unchanged (already ended)"


@router.post("/webhook", response_model=WebhookResult,
             responses={401: {"model": ErrorBody, "description": "missing or invalid webhook signature"},
                        400: {"model": ErrorBody, "description": "signed but not a webhook event, or stale"},
                        409: {"model": ErrorBody, "description": "this webhook id was already applied (replay)"}})
async def livekit_webhook(request: Request, conn: Conn,
                          authorization: Annotated[str | None, Header()] = None) -> WebhookResult:
    """Room and participant events move call attempts forward; a room that closes without an outcome gives
    the agent a grace period to write it, after which the reaper ends the attempt `lost`. Events for calls
    that already ended change nothing."""
    if not authorization:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing webhook signature (Authorization header)")
    body = (await request.body()).decode("utf-8", errors="replace")
    token = authorization.removeprefix("Bearer ").strip()
    try:
        event = _receiver().receive(body, token)
    except ParseError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "signed body is not a LiveKit webhook event") from None
    except Exception:
        log.warning("webhook.rejected")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid webhook signature") from None
    if not event.id:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "webhook has no id")
    max_age = get_settings().webhook_max_age_seconds
    if abs(time.time() - event.created_at) > max_age:
        log.warning("webhook.stale", webhook_event=event.event)
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            f"webhook created_at is more than {max_age:.0f} s from now: stale or replayed, ignored")
    created_at = datetime.fromtimestamp(event.created_at, UTC)
    participant = event.participant if event.HasField("participant") else None
    action = rules.plan(event.event, event.room.name if event.HasField("room") else "",
                        participant.kind if participant else None,
                        participant.attributes.get("sip.callStatus") if participant else None)
    if action is None:
        return WebhookResult(event=event.event, attempt_id=None, action="ignored")
    room_check: bool | None = True
    if action.kind == "await_outcome":
        room_check = await room_is_gone(event.room.name)

    def _apply() -> str | None:
        if not _first_delivery(conn, event.id, event.event, created_at):
            conn.rollback()
            return None
        if room_check is False:
            outcome = "ignored: the room is still open on the LiveKit server"
        elif room_check is None:
            outcome = "ignored: LiveKit could not confirm the room closed; the reaper's own deadline applies"
        else:
            outcome = apply(conn, action)
        if outcome != "unknown attempt":
            clinic = conn.execute("SELECT clinic_id FROM call_attempts WHERE id = %s", (action.attempt_id,)).fetchone()
            events.record(conn, kind=f"livekit.{event.event}", actor="webhook",
                          clinic_id=clinic["clinic_id"] if clinic else None, subject_type="call_attempt",
                          subject_id=action.attempt_id, data={"result": outcome, "webhook_id": event.id})
        conn.commit()
        return outcome

    result = await run_in_threadpool(_apply)
    if result is None:
        log.warning("webhook.replayed", webhook_event=event.event)
        raise HTTPException(status.HTTP_409_CONFLICT, "webhook id already received: replay ignored")
    log.info("webhook.applied", webhook_event=event.event, attempt_id=action.attempt_id, result=result)
    return WebhookResult(event=event.event, attempt_id=action.attempt_id, action=result)
