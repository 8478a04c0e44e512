"""The steps every call mode shares (sip, web, sim): load, mark, dial, detect a machine, end.

The mode-specific parts are only how audio/text reaches the session (room vs. far-end text turns) and
how the call is ended (delete the room vs. stop the text loop)."""

from __future__ import annotations

import asyncio
from typing import Any

from livekit.agents.voice.amd import AMD

from agent import dialing
from agent.call_context import CallInfo, load_call
from agent.dialing import DialResult
from clinic import outcomes
from clinic.clock import get_clock
from clinic.db import connection

# AMD settings for text-mode calls: there is no audio, so the silence windows only need to outlast the
# scripted classifier's (instant) verdict.
TEXT_AMD_OPTIONS = {"human_silence_threshold": 0.05, "machine_silence_threshold": 0.05,
                    "max_endpointing_delay": 0.05, "no_speech_threshold": 0.5, "timeout": 3.0}


async def load(attempt_id: int) -> CallInfo:
    def _load() -> CallInfo:
        with connection() as conn:
            return load_call(conn, attempt_id)

    return await asyncio.to_thread(_load)


async def mark(attempt_id: int, status: str, **cols: Any) -> None:
    def _mark() -> None:
        with connection() as conn:
            outcomes.mark_attempt(conn, attempt_id, status, now=get_clock().now(), **cols)

    await asyncio.to_thread(_mark)


async def place_call(lkapi: Any, call: CallInfo, room_name: str) -> DialResult:
    """Dial with wait_until_answered; record dial start and answer times."""
    await mark(call.attempt_id, "dialing", room_name=room_name)
    result = await dialing.dial(lkapi, call, room_name)
    if result.answered:
        await mark(call.attempt_id, "in_call", **({"sip_call_id": result.sip_call_id} if result.sip_call_id else {}))
    return result


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
