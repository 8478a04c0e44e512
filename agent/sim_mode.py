"""`sim` call mode: the production call path with a simulated patient typing instead of talking.

Used by the LiveKit stand-in's dispatch hook (demo) and by the tests. Everything a real call does runs
here too: the attempt is loaded from Postgres, CreateSIPParticipant goes through `livekit.api.LiveKitAPI`
to the stand-in (SIP failures -> outcomes), LiveKit's AMD classifies the greeting, the same Agent and
tools hold the conversation in an `AgentSession` without audio, and the outcome is written through
`clinic.outcomes.finish_attempt`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from livekit import api
from livekit.agents import llm
from livekit.agents.voice.amd import AMD

from agent import call_flow, dialing
from agent.call_context import CallNotDialable, parse_metadata
from agent.call_record import CallRecord, final_outcome
from agent.call_state import CallState
from agent.confirmation_agent import SILENCE_TEXT, ConfirmationAgent, dtmf_text
from agent.events import CallEvents, Sink
from agent.far_end import FarEnd
from agent.session_factory import SessionParts, build_session, scripted_brain
from agent.voicemail import leave_voicemail_text
from clinic.clock import get_clock

log = logging.getLogger("agent.sim")
MAX_TURNS = 40


@dataclass
class SimResult:
    attempt_id: int
    outcome: str
    transcript: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    amd_category: str | None = None
    filler_delays: list[float] = field(default_factory=list)


async def run_sim_job(room_name: str, metadata: str, far_end_for: Callable[[str], FarEnd], livekit_url: str,
                      api_key: str, api_secret: str, *, brain: Callable[[Any], llm.LLM] | None = None,
                      event_sink: Sink | None = None) -> SimResult | None:
    """Run one dispatched job in sim mode. `brain(call)` picks the LLM (default: the scripted policy;
    tests pass a FallbackAdapter to exercise switching). Returns None if the attempt is not dialable.
    An exception ends the attempt `failed` with its reason (call_flow.guard_job) and is re-raised."""
    return await call_flow.guard_job(metadata, _run_sim_job(room_name, metadata, far_end_for, livekit_url, api_key,
                                                            api_secret, brain=brain, event_sink=event_sink))


async def _run_sim_job(room_name: str, metadata: str, far_end_for: Callable[[str], FarEnd], livekit_url: str,
                       api_key: str, api_secret: str, *, brain: Callable[[Any], llm.LLM] | None = None,
                       event_sink: Sink | None = None) -> SimResult | None:
    try:
        attempt_id = parse_metadata(metadata)
        call = await call_flow.load(attempt_id)
    except CallNotDialable as exc:
        log.warning("sim job skipped: %s", exc)
        return None
    state = CallState()
    events = CallEvents(call.attempt_id, event_sink)
    record = CallRecord(call, events)
    session = build_session(SessionParts(llm=brain(call) if brain else scripted_brain(call)))
    agent = ConfirmationAgent(call, state=state, events=events, greet=False)
    record.attach(session, agent)
    await session.start(agent)  # the session starts before dialing, as in production
    result = SimResult(attempt_id=call.attempt_id, outcome="failed")
    try:
        async with api.LiveKitAPI(livekit_url, api_key, api_secret) as lkapi:
            dial = await call_flow.place_call(lkapi, call, room_name)
            if not dial.answered:
                assert dial.outcome is not None
                row = await record.finish(dial.outcome, None, now=get_clock().now(), audio=False,
                                          extra=call_flow.dial_fields(dial))
                result.outcome = row["outcome"]
                return result
            far_end = far_end_for(call.phone)
            first = far_end.first_words()
            async with AMD(session, llm=scripted_brain(call), stt=None, suppress_compatibility_warning=True,
                           detection_options=call_flow.TEXT_AMD_OPTIONS) as amd:  # type: ignore[arg-type]
                verdict = await call_flow.detect_in_text(amd, first.text)
            result.amd_category = verdict.category.value
            log.info("amd verdict %s", verdict.category.value)
            log.debug("amd reason: %s", verdict.reason)   # may quote the greeting: names, never at INFO
            if first.text:
                record.add_turn("patient", first.text, greeting=True)
            if verdict.is_machine:
                outcome = "no_answer"
                # One voicemail per appointment: the follow-up call after a voicemail leaves none.
                if verdict.category.value == "machine-vm" and not call.appointment.get("voicemail_left"):
                    await session.say(leave_voicemail_text(call.clinic_name, call.callback_number))
                    outcome = "voicemail_left"
                await call_flow.hang_up(lkapi, room_name)
                row = await record.finish(outcome, state, now=get_clock().now(), audio=False)
                result.outcome = row["outcome"]
                return result
            hung_up = await _converse(session, agent, state, far_end, record)
            if state.end_action == "transfer":
                try:
                    await dialing.transfer(lkapi, room_name, call.clinic["transfer_number"])
                except api.ServerError as exc:
                    state.transfer_error = str(exc)[:200]
            await call_flow.hang_up(lkapi, room_name)
            outcome = final_outcome(state, far_end_hung_up=hung_up)
            extra = {"error": f"transfer failed: {state.transfer_error}"} if state.transfer_error else {}
            row = await record.finish(outcome, state, now=get_clock().now(), audio=False, extra=extra)
            result.outcome = row["outcome"]
            return result
    finally:
        result.transcript = record.entries
        result.events = events.sent
        result.filler_delays = agent.filler_delays
        await session.aclose()


async def _converse(session: Any, agent: ConfirmationAgent, state: CallState, far_end: FarEnd,
                    record: CallRecord) -> bool:
    """Greeting, then turn by turn until a terminal tool's goodbye has played or the far end hangs up.
    Returns True if the far end hung up."""
    seen = len(record.entries)
    await session.say(agent.greeting())
    for _ in range(MAX_TURNS):
        said = " ".join(e["text"] for e in record.entries[seen:] if e["role"] == "agent")
        seen = len(record.entries)
        turn = far_end.reply(said)
        if turn.hang_up:
            return True
        text = dtmf_text(turn.dtmf) if turn.dtmf else (turn.text or SILENCE_TEXT)
        await session.run(user_input=text)
        if state.end_action is not None:
            await asyncio.wait_for(state.ended.wait(), timeout=10)
            return False
    state.end_reason = "unclear"
    return False
