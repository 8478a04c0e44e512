"""Text mode: the one call driver (`agent.call_driver.run_call`) with a simulated far end typing instead of
talking, for the fast simulated night and the agent's scenario tests.

Only the transport is different: the attempt is loaded from Postgres, CreateSIPParticipant goes through
`livekit.api.LiveKitAPI` (to the LiveKit stand-in, which answers from the simulated phone network), LiveKit's
AMD classifies the greeting text, the same Agent and tools hold the conversation in an `AgentSession`
without audio, and the outcome is written through `clinic.outcomes.finish_attempt`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from livekit import api
from livekit.agents import AgentSession, llm
from livekit.agents.voice.amd import AMD

from agent import call_flow
from agent.call_context import CallInfo, CallNotDialable, parse_metadata
from agent.call_driver import CallMode, CallResult, MachineVerdict, run_call
from agent.call_record import CallRecord
from agent.call_state import CallState
from agent.confirmation_agent import SILENCE_TEXT, ConfirmationAgent, dtmf_text
from agent.events import Sink
from agent.far_end import FarEnd
from agent.session_factory import SessionParts, scripted_brain

log = logging.getLogger("agent.sim")
MAX_TURNS = 40

SimResult = CallResult   # the name tests and examples use


class TextTransport:
    """Typed turns: the far end's words arrive as user input, the agent's replies are text."""

    mode: CallMode = "text"

    def __init__(self, lkapi: api.LiveKitAPI, room_name: str, far_end_for: Callable[[str], FarEnd], *,
                 brain: Callable[[Any], llm.LLM] | None = None, event_sink: Sink | None = None) -> None:
        self.lkapi = lkapi
        self.room_name = room_name
        self._far_end_for = far_end_for
        self._brain = brain
        self._sink = event_sink
        self._call: CallInfo | None = None
        self._far_end: FarEnd | None = None
        self._record: CallRecord | None = None
        self._session: AgentSession[Any] | None = None

    def session_parts(self, call: CallInfo) -> SessionParts:
        self._call = call
        return SessionParts(llm=self._brain(call) if self._brain else scripted_brain(call))

    def event_sink(self) -> Sink | None:
        return self._sink

    async def start(self, session: AgentSession[Any], agent: ConfirmationAgent, record: CallRecord) -> None:
        self._record = record
        self._session = session
        await session.start(agent)   # before dialing, as in a room

    def amd(self, session: AgentSession[Any], call: CallInfo) -> contextlib.AbstractAsyncContextManager[Any]:
        # Nothing to listen to before the answer: text arrives whole, so AMD starts once the far end is
        # known (`detect_machine`); its silence timers then measure only the classifier, not the dialing.
        return contextlib.nullcontext(None)

    async def detect_machine(self, amd: Any, record: CallRecord) -> MachineVerdict:
        assert self._call is not None and self._session is not None
        self._far_end = self._far_end_for(self._call.phone)
        first = self._far_end.first_words()
        async with AMD(self._session, llm=scripted_brain(self._call), stt=None, suppress_compatibility_warning=True,
                       detection_options=call_flow.TEXT_AMD_OPTIONS) as text_amd:  # type: ignore[arg-type]
            verdict = await call_flow.detect_in_text(text_amd, first.text)
        log.debug("amd reason: %s", verdict.reason)   # may quote the greeting: names, never at INFO
        if first.text:
            record.add_turn("patient", first.text, greeting=True)
        return MachineVerdict(is_machine=verdict.is_machine, category=verdict.category.value)

    async def converse(self, session: AgentSession[Any], agent: ConfirmationAgent, state: CallState) -> bool:
        """Greeting, then turn by turn until a terminal tool's goodbye has played or the far end hangs up."""
        assert self._far_end is not None and self._record is not None
        record = self._record
        seen = len(record.entries)
        await agent.say_greeting(session)
        for _ in range(MAX_TURNS):
            said = " ".join(e["text"] for e in record.entries[seen:] if e["role"] == "agent")
            seen = len(record.entries)
            turn = self._far_end.reply(said)
            if turn.hang_up:
                return True
            text = dtmf_text(turn.dtmf) if turn.dtmf else (turn.text or SILENCE_TEXT)
            if turn.pause_s:
                await asyncio.sleep(turn.pause_s)
            if turn.barge_in:
                await self._spoken_over(agent, record)
            await session.run(user_input=text)
            if state.end_action is not None:
                await asyncio.wait_for(state.ended.wait(), timeout=10)
                return False
        state.end_reason = "unclear"
        return False

    @staticmethod
    async def _spoken_over(agent: ConfirmationAgent, record: CallRecord) -> None:
        """The far end spoke over the agent's last line. Text has no playout to cut, so the line is marked
        as LiveKit marks speech a caller interrupted: `interrupted` on its chat message (what both brains
        and confirm_identity's guard read), and on the call record's transcript entry."""
        ctx = agent.chat_ctx.copy()
        last = next((i for i in reversed(ctx.items) if i.type == "message" and i.role == "assistant"), None)
        if last is None:
            return
        last.interrupted = True
        await agent.update_chat_ctx(ctx)
        entry = next((e for e in reversed(record.entries) if e["role"] == "agent" and not e.get("filler")), None)
        if entry is not None:
            entry["interrupted"] = True

    async def hang_up(self) -> None:
        await call_flow.hang_up(self.lkapi, self.room_name)

    async def far_end_left(self, timeout: float) -> bool:
        return False   # typed turns: nobody hangs up after a transfer

    async def close(self, session: AgentSession[Any]) -> None:
        await session.aclose()


async def run_sim_job(room_name: str, metadata: str, far_end_for: Callable[[str], FarEnd], livekit_url: str,
                      api_key: str, api_secret: str, *, brain: Callable[[Any], llm.LLM] | None = None,
                      event_sink: Sink | None = None) -> CallResult | None:
    """Run one dispatched job in text mode. `brain(call)` picks the LLM (default: the scripted policy;
    tests pass a FallbackAdapter to exercise switching). Returns None if the attempt is not dialable.
    Anything that escapes the driver ends the attempt `failed` too (call_flow.guard_job)."""
    try:
        attempt_id = parse_metadata(metadata)
    except CallNotDialable as exc:
        log.warning("sim job skipped: %s", exc)
        return None

    async def job() -> CallResult | None:
        async with api.LiveKitAPI(livekit_url, api_key, api_secret) as lkapi:
            return await run_call(attempt_id, TextTransport(lkapi, room_name, far_end_for, brain=brain,
                                                            event_sink=event_sink))

    return await call_flow.guard_job(metadata, job())
