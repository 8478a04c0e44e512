"""Browser and phone test calls. Both are rate-limited per clinic (each one costs a real call), and phone
test calls only go to numbers on the clinic's test allow-list."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import APIRouter, HTTPException, status

from clinic import events
from clinic.clock import get_clock
from clinic.logs import get_logger
from clinic.outcomes import finish_attempt, mark_attempt
from clinic.phones import mask
from clinic.settings import get_settings
from token_server import rate_limit
from token_server.auth import ClinicScope
from token_server.database import Conn
from token_server.errors import COMMON_RESPONSES, ErrorBody, not_found
from token_server.test_calls import service
from token_server.test_calls.models import AbandonOut, PhoneTestCallIn, PhoneTestCallOut, WebTestCallIn, WebTestCallOut

router = APIRouter(prefix="/api/test-calls", tags=["test calls"],
                   responses={**COMMON_RESPONSES,
                              429: {"model": ErrorBody, "description": "too many test calls; see Retry-After"}})
log = get_logger(__name__)


def _limit(caller: ClinicScope) -> None:
    rate_limit.enforce(f"test-calls:{caller.clinic_id}", get_settings().test_calls_per_minute)


@router.post("/web", response_model=WebTestCallOut, status_code=status.HTTP_201_CREATED)
def start_web_test_call(body: WebTestCallIn, caller: ClinicScope, conn: Conn) -> WebTestCallOut:
    """A room and a browser token. Joining the room with it dispatches the agent in `web` mode for a test
    copy of the chosen appointment (or a made-up one); the browser's microphone is the patient."""
    settings = get_settings()
    _limit(caller)
    now = get_clock().now()
    ttl = timedelta(seconds=settings.test_call_token_ttl_seconds)
    try:
        appointment_id = service.create_test_appointment(conn, caller.clinic, now=now, source_id=body.appointment_id,
                                                         made_up=body.test_appointment, phone=service.WEB_TEST_PHONE)
    except service.SourceNotFound:
        raise not_found("appointment", body.appointment_id or 0) from None
    deadline = now + ttl + timedelta(seconds=caller.clinic["max_call_seconds"])
    attempt = service.create_attempt(conn, caller.clinic, appointment_id, service.WEB_TEST_PHONE, mode="web",
                                     now=now, deadline=deadline)
    events.record(conn, kind="test_call.web_started", actor=caller.actor, clinic_id=caller.clinic_id,
                  subject_type="call_attempt", subject_id=attempt["id"], data={"appointment_id": appointment_id})
    conn.commit()
    identity = f"staff-{attempt['id']}"
    token = service.web_token(settings, room=attempt["room_name"], identity=identity, attempt_id=attempt["id"], ttl=ttl)
    log.info("test_call.web", clinic_id=caller.clinic_id, attempt_id=attempt["id"])
    return WebTestCallOut(attempt_id=attempt["id"], appointment_id=appointment_id, room_name=attempt["room_name"],
                          livekit_url=service.browser_url(settings), token=token, identity=identity,
                          expires_at=now + ttl)


@router.post("/web/{attempt_id}/abandon", response_model=AbandonOut,
             responses={404: {"model": ErrorBody, "description": "no browser test call of this clinic with that id"}})
def abandon_web_test_call(attempt_id: int, caller: ClinicScope, conn: Conn) -> AbandonOut:
    """The page gave up on a browser test call (LiveKit or the agent never answered): end the attempt
    `failed` with the reason, so it is not left for the reaper. An attempt that already has an outcome (the
    agent did run the call) keeps it."""
    row = conn.execute("SELECT id FROM call_attempts WHERE id = %s AND clinic_id = %s AND mode = 'web'",
                       (attempt_id, caller.clinic_id)).fetchone()
    if row is None:
        raise not_found("browser test call", attempt_id)
    ended = finish_attempt(conn, attempt_id, "failed", now=get_clock().now(),
                           fields={"error": service.ABANDONED_ERROR})
    conn.commit()
    return AbandonOut(attempt_id=attempt_id, outcome=ended["outcome"])


@router.post("/phone", response_model=PhoneTestCallOut, status_code=status.HTTP_201_CREATED,
             responses={403: {"model": ErrorBody, "description": "number not on the clinic's test allow-list"},
                        503: {"model": ErrorBody, "description": "LiveKit unreachable; nothing was dialed"}})
def start_phone_test_call(body: PhoneTestCallIn, caller: ClinicScope, conn: Conn) -> PhoneTestCallOut:
    """Dial `phone` now for a test appointment. Only numbers on the clinic's test allow-list."""
    allowed = conn.execute("SELECT %s = ANY(test_allowlist::text[]) AS ok FROM clinics WHERE id = %s",
                           (body.phone, caller.clinic_id)).fetchone()
    if not (allowed and allowed["ok"]):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"phone {mask(body.phone)} is not on this clinic's test allow-list")
    settings = get_settings()
    _limit(caller)
    now = get_clock().now()
    try:
        appointment_id = service.create_test_appointment(conn, caller.clinic, now=now, source_id=body.appointment_id,
                                                         made_up=body.test_appointment, phone=body.phone)
    except service.SourceNotFound:
        raise not_found("appointment", body.appointment_id or 0) from None
    deadline = now + timedelta(seconds=caller.clinic["ring_timeout_seconds"] + caller.clinic["max_call_seconds"] + 60)
    attempt = service.create_attempt(conn, caller.clinic, appointment_id, body.phone, mode="sip", now=now,
                                     deadline=deadline)
    conn.commit()  # the agent reads the attempt from Postgres as soon as it is dispatched
    try:
        dispatch_id = asyncio.run(service.dispatch_phone_call(settings, room=attempt["room_name"],
                                                              attempt_id=attempt["id"]))
    except Exception as exc:  # aiohttp / Twirp errors: LiveKit down or refusing
        service.discard(conn, attempt["id"], appointment_id)
        conn.commit()
        log.warning("test_call.dispatch_failed", clinic_id=caller.clinic_id, error=type(exc).__name__)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            f"cannot reach LiveKit at {settings.livekit_url}: nothing was dialed") from None
    mark_attempt(conn, attempt["id"], "dispatched", now=get_clock().now(), dispatch_id=dispatch_id)
    events.record(conn, kind="test_call.phone_started", actor=caller.actor, clinic_id=caller.clinic_id,
                  subject_type="call_attempt", subject_id=attempt["id"],
                  data={"appointment_id": appointment_id, "phone": mask(body.phone)})
    conn.commit()
    return PhoneTestCallOut(attempt_id=attempt["id"], appointment_id=appointment_id, room_name=attempt["room_name"],
                            dispatch_id=dispatch_id, phone_masked=mask(body.phone))
