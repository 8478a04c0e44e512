"""The one call driver: every call of this product runs `run_call`, whatever carries its sound.

Loading the attempt, dialing, answering-machine detection, the voicemail rule, the conversation, the
transfer and recording the outcome are written here once. A `Transport` supplies only what differs:

- `RoomTransport` (agent/room_transport.py): a LiveKit room. `sip` dials the patient through LiveKit SIP
  (production); `web` is the browser test call, where the tester is already in the room.
- `TextTransport` (agent/sim_mode.py): typed turns from a simulated far end, for the fast simulated night;
  it dials through the same LiveKit API (the stand-in answers from the simulated phone network).

The worker's `entrypoint` (agent/worker.py) builds a `RoomTransport` and calls `run_call`; nothing else
runs a call in production, and the tests run the same function."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from livekit import api
from livekit.agents import AgentSession

from agent import call_flow, dialing
from agent.call_context import CallInfo, CallNotDialable
from agent.call_record import CallRecord, final_outcome
from agent.call_state import CallState
from agent.confirmation_agent import ConfirmationAgent
from agent.events import CallEvents, Sink
from agent.session_factory import SessionParts, build_session
from agent.voicemail import leave_voicemail_text
from clinic import outcomes
from clinic.appointments.models import Outcome
from clinic.clock import get_clock

log = logging.getLogger("agent.call_driver")

CallMode = Literal["sip", "web", "text"]


@dataclass
class CallResult:
    """What a finished call left behind (also stored on the attempt)."""

    attempt_id: int
    outcome: Outcome
    transcript: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    amd_category: str | None = None
    filler_delays: list[float] = field(default_factory=list)
    sip_status_code: int | None = None
    sip_call_id: str | None = None


@dataclass(frozen=True)
class MachineVerdict:
    """LiveKit AMD's verdict, reduced to what the driver decides on."""

    is_machine: bool
    category: str          # AMDCategory value: human | machine-vm | machine-ivr | machine-unavailable | ...


class Transport(Protocol):
    """How one call's sound (or text) reaches the session, and how the call ends."""

    mode: CallMode
    room_name: str
    lkapi: api.LiveKitAPI

    def session_parts(self, call: CallInfo) -> SessionParts:
        """STT/LLM/TTS/VAD/turn detection for this call (audio parts only where there is audio)."""
        ...

    def event_sink(self) -> Sink | None:
        """Where the staff page's events go (the room's data channel, or nowhere)."""
        ...

    async def start(self, session: AgentSession[Any], agent: ConfirmationAgent, record: CallRecord) -> None:
        """Start the session on this transport, before dialing so that nothing said on answer is missed."""
        ...

    def amd(self, session: AgentSession[Any], call: CallInfo) -> contextlib.AbstractAsyncContextManager[Any]:
        """LiveKit's AMD, configured for this transport; entered before dialing."""
        ...

    async def detect_machine(self, amd: Any, record: CallRecord) -> MachineVerdict:
        """Wait for AMD's verdict on what answered."""
        ...

    async def converse(self, session: AgentSession[Any], agent: ConfirmationAgent, state: CallState) -> bool:
        """Hold the conversation from the greeting until a terminal tool's goodbye has played or the far
        end hangs up. Returns True if the far end hung up."""
        ...

    async def hang_up(self) -> None:
        """End the phone call (LiveKit sends the BYE when the room goes)."""
        ...

    async def far_end_left(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the far end to end the call; True if it did (or already had)."""
        ...

    async def close(self, session: AgentSession[Any]) -> None:
        """Release the transport (end the job, close the session)."""
        ...


async def run_call(attempt_id: int, transport: Transport) -> CallResult | None:
    """Run one call attempt to its recorded outcome. Returns None if the attempt is not dialable (unknown,
    already ended, or its number went on the DNC list since planning: then it is ended without dialing)."""
    try:
        call = await call_flow.load(attempt_id)
    except CallNotDialable as exc:
        log.warning("job skipped: %s", exc)
        return None
    state = CallState()
    events = CallEvents(call.attempt_id, transport.event_sink())
    record = CallRecord(call, events)
    session = build_session(transport.session_parts(call))
    agent = ConfirmationAgent(call, state=state, events=events, greet=False)
    record.attach(session, agent)
    result = CallResult(attempt_id=call.attempt_id, outcome=Outcome.FAILED)
    audio = transport.mode != "text"

    async def finish(outcome: Outcome | str, st: CallState | None, extra: dict[str, Any] | None = None) -> None:
        row = await record.finish(outcome, st, now=get_clock().now(), audio=audio, extra=extra)
        result.outcome = row.outcome or Outcome(outcome)  # always set once finished; first writer's wins

    try:
        await transport.start(session, agent, record)
        if transport.mode == "web":
            await transport.converse(session, agent, state)
        else:
            async with transport.amd(session, call) as amd:
                dial = await call_flow.place_call(transport.lkapi, call, transport.room_name)
                result.sip_status_code, result.sip_call_id = dial.sip_status_code, dial.sip_call_id
                if not dial.answered:
                    assert dial.outcome is not None
                    await finish(dial.outcome, None, call_flow.dial_fields(dial))
                    await transport.hang_up()
                    return result
                verdict = await transport.detect_machine(amd, record)
            result.amd_category = verdict.category
            log.info("amd verdict %s", verdict.category, extra={"attempt_id": call.attempt_id})
            if verdict.is_machine:
                await _machine_answered(session, call, state, verdict)
                await transport.hang_up()
                await finish(state.outcome or "no_answer", state)
                return result
            await transport.converse(session, agent, state)
        if state.end_action == "transfer":
            if call.clinic.transfer_number is None:  # the tool refuses then; a clinic edited mid-call
                state.transfer_error = "the clinic has no transfer number"
            else:
                try:
                    await dialing.transfer(transport.lkapi, transport.room_name, call.clinic.transfer_number)
                except api.ServerError as exc:   # TwirpError included: the REFER was refused or failed
                    # No SIP answer to the REFER (LiveKit SIP can end its transaction while the 202 is arriving):
                    # the far end ending the original leg, as it does once the new call is up, settles it.
                    if dialing.transfer_result_unknown(exc) and \
                            await transport.far_end_left(dialing.TRANSFER_SETTLE_SECONDS):
                        log.warning("transfer reported failed without a SIP answer, but the far end left as a"
                                    " completed transfer does: counted transferred",
                                    extra={"attempt_id": call.attempt_id, "error": exc.code})
                    else:
                        state.transfer_error = str(exc)[:200]
        if transport.mode != "web":
            await transport.hang_up()
        extra = {"error": f"transfer failed: {state.transfer_error}"} if state.transfer_error else None
        await finish(final_outcome(state), state, extra)
        return result
    except call_flow.AlreadyDialed as exc:
        # A restarted job: the first leg may still be up (the patient hearing silence). End it, and leave the
        # attempt to the retry policy as `lost` (what the reaper would call it); decisions already written stay.
        log.warning("not dialing again: %s", exc, extra={"attempt_id": call.attempt_id})
        await transport.hang_up()
        await finish("lost", None, {"error": "agent restarted mid-call; not dialed again"})
        return result
    except Exception as exc:
        # Whatever broke, the attempt ends `failed` with the reason (never left for the reaper to call
        # `lost` and redial in a loop); a decision a tool already wrote stays (finish keeps the first end).
        # The exception's type only at ERROR: its message or traceback may quote a number or a name.
        log.error("call failed", extra={"attempt_id": call.attempt_id, "error": type(exc).__name__})
        log.debug("call failure detail", exc_info=True)
        with contextlib.suppress(Exception):
            await transport.hang_up()
        # crash_error: masked, and it feeds the circuit breaker (a clinic whose calls keep crashing is paused)
        await finish(state.outcome or "failed", state, {"error": outcomes.crash_error(exc)})
        return result
    finally:
        result.transcript = record.entries
        result.events = events.sent
        result.filler_delays = agent.filler_delays
        with contextlib.suppress(Exception):
            await transport.close(session)


async def _machine_answered(session: AgentSession[Any], call: CallInfo, state: CallState,
                            verdict: MachineVerdict) -> None:
    """The voicemail rule: one voicemail per appointment, with the clinic's name and callback number only;
    the follow-up call after a voicemail leaves none (and an IVR or carrier message gets none)."""
    if verdict.category == "machine-vm" and not call.appointment.voicemail_left:
        handle = session.say(leave_voicemail_text(call.clinic_name, call.callback_number),
                             allow_interruptions=False)
        await asyncio.wait_for(handle.wait_for_playout(), timeout=60)
        state.decide("voicemail_left")
    else:
        state.decide("no_answer")
