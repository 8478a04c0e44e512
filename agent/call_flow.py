"""The steps every call mode shares (sip, web, sim): load, mark, dial, detect a machine, end.

The mode-specific parts are only how audio/text reaches the session (room vs. far-end text turns) and
how the call is ended (delete the room vs. stop the text loop)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from livekit import api
from livekit.agents.voice.amd import AMD

from agent import call_actions, dialing
from agent.call_context import CallInfo, CallNotDialable, NumberOnDnc, load_call, parse_metadata
from agent.dialing import DialResult
from clinic import outcomes
from clinic.clock import get_clock
from clinic.db import connection, retry_while_unreachable

log = logging.getLogger("agent.call_flow")
T = TypeVar("T")

# AMD settings for text-mode calls: there is no audio, so the silence windows only need to outlast the
# scripted classifier's (instant) verdict.
TEXT_AMD_OPTIONS = {"human_silence_threshold": 0.05, "machine_silence_threshold": 0.05,
                    "max_endpointing_delay": 0.05, "no_speech_threshold": 0.5, "timeout": 3.0}


async def load(attempt_id: int) -> CallInfo:
    """The call's context, or CallNotDialable. A number put on DNC since planning also ends the attempt
    (`lost`, 'number on DNC') and settles its appointment, so the job returns without dialing."""
    def _load() -> CallInfo:
        with connection() as conn:
            return load_call(conn, attempt_id)

    try:
        return await asyncio.to_thread(_load)
    except NumberOnDnc as exc:
        await asyncio.to_thread(call_actions.end_attempt_on_dnc, exc.attempt_id, get_clock().now())
        raise


async def guard_job(metadata: str, body: Awaitable[T]) -> T:
    """Run one agent job's body (`entrypoint`, or sim mode's job); if it raises, end its attempt `failed`
    with the reason stored and feed the circuit breaker (clinic.outcomes.fail_crashed_attempt), then re-raise
    so the framework logs and closes the job. Before this a crash left the attempt open, the reaper ended it
    `lost`, which is retried and not counted: a clinic without a trunk looped through `lost` for ever.
    Logged at ERROR with the exception type only (its message may quote a number)."""
    try:
        return await body
    except (asyncio.CancelledError, CallNotDialable):
        raise
    except Exception as exc:
        try:
            attempt_id: int | None = parse_metadata(metadata)
        except CallNotDialable:
            attempt_id = None
        log.error("agent job crashed", extra={"attempt_id": attempt_id, "error": type(exc).__name__})
        if attempt_id is not None:
            crashed: int = attempt_id

            def _record(attempt: int = crashed, crash: BaseException = exc) -> None:
                with connection() as conn:
                    outcomes.fail_crashed_attempt(conn, attempt, crash, now=get_clock().now())
                    conn.commit()

            try:
                await asyncio.to_thread(retry_while_unreachable, _record, what="crashed call outcome")
            except Exception as record_exc:  # Postgres down for good: the reaper will end it
                log.error("agent job crash not recorded", extra={"attempt_id": attempt_id,
                                                                 "error": type(record_exc).__name__})
        raise


class AlreadyDialed(Exception):
    """This attempt was dialed before: a job restarted after its worker died (LiveKit re-dispatches a failed
    job). Dialing again could ring the patient twice at once, so the driver ends the attempt instead."""


async def mark(attempt_id: int, status: str, **cols: Any) -> bool:
    """Move the attempt forward; False if it was already at or past `status` (or ended)."""
    def _mark() -> bool:
        with connection() as conn:
            return outcomes.mark_attempt(conn, attempt_id, status, now=get_clock().now(), **cols) is not None

    return await asyncio.to_thread(_mark)


async def place_call(lkapi: Any, call: CallInfo, room_name: str) -> DialResult:
    """Dial with wait_until_answered; record dial start and answer times. The `dialing` mark is the claim:
    only the job that moves the attempt to `dialing` dials (AlreadyDialed otherwise)."""
    if not await mark(call.attempt_id, "dialing", room_name=room_name):
        raise AlreadyDialed(f"call attempt {call.attempt_id} was already dialed")
    result = await dialing.dial(lkapi, call, room_name)
    if result.answered:
        await mark(call.attempt_id, "in_call", **({"sip_call_id": result.sip_call_id} if result.sip_call_id else {}))
    return result


async def hang_up(lkapi: Any, room_name: str) -> None:
    """End the phone call the way LiveKit does: delete the room, which disconnects the SIP participant
    (LiveKit sends the BYE). Used by `sim` mode with its own LiveKitAPI; the worker uses
    `JobContext.delete_room`, which does the same request. A room that is already gone is fine."""
    try:
        await lkapi.room.delete_room(api.DeleteRoomRequest(room=room_name))
    except api.TwirpError as exc:
        if exc.code != api.TwirpErrorCode.NOT_FOUND:
            log.warning("hang up failed: %s", exc.code)


def dial_fields(result: DialResult) -> dict[str, Any]:
    return {k: v for k, v in {"sip_status_code": result.sip_status_code, "sip_status": result.sip_status,
                              "error": result.error, "sip_call_id": result.sip_call_id}.items() if v is not None}


async def detect_in_text(amd: AMD, greeting: str | None) -> Any:
    """Feed a text-mode greeting to LiveKit's AMD through the hooks its audio pipeline calls
    (speech started -> transcript -> speech ended) and return its verdict."""
    for _ in range(200):  # AMD opens its listening gate from a setup task; input before that is dropped
        if amd.started:
            break
        await asyncio.sleep(0.005)
    if greeting:
        amd._on_user_speech_started()
        amd._on_transcript(greeting)
        amd._on_user_speech_ended(0.0)
    return await amd.execute()
