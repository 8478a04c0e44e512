"""LiveKit webhooks, verified with livekit-api's WebhookReceiver (signed JWT carrying the body's SHA-256).
Unsigned or tampered requests are 401 and change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

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
                        400: {"model": ErrorBody, "description": "signed but not a webhook event"}})
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
    participant = event.participant if event.HasField("participant") else None
    action = rules.plan(event.event, event.room.name if event.HasField("room") else "",
                        participant.kind if participant else None,
                        participant.attributes.get("sip.callStatus") if participant else None)
    if action is None:
        return WebhookResult(event=event.event, attempt_id=None, action="ignored")
    def _apply() -> str:
        outcome = apply(conn, action)
        if outcome != "unknown attempt":
            clinic = conn.execute("SELECT clinic_id FROM call_attempts WHERE id = %s", (action.attempt_id,)).fetchone()
            events.record(conn, kind=f"livekit.{event.event}", actor="webhook",
                          clinic_id=clinic["clinic_id"] if clinic else None, subject_type="call_attempt",
                          subject_id=action.attempt_id, data={"result": outcome, "webhook_id": event.id})
        conn.commit()
        return outcome

    result = await run_in_threadpool(_apply)
    log.info("webhook.applied", webhook_event=event.event, attempt_id=action.attempt_id, result=result)
    return WebhookResult(event=event.event, attempt_id=action.attempt_id, action=result)
