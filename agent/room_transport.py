"""A call carried by a LiveKit room: `sip` (the patient is dialed through LiveKit SIP) or `web` (the browser
test call: the tester is already in the room). The call itself is `agent.call_driver.run_call`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from livekit import api, rtc
from livekit.agents import AgentSession, JobContext
from livekit.agents.voice.background_audio import AudioConfig, BackgroundAudioPlayer, BuiltinAudioClip
from livekit.agents.voice.room_io import RoomOptions

from agent import call_flow, dialing
from agent.amd_audio import ToneTap, decide, install_tone_tap, phone_amd
from agent.call_context import CallInfo
from agent.call_driver import CallMode, MachineVerdict
from agent.call_record import CallRecord
from agent.call_state import CallState
from agent.confirmation_agent import SILENCE_TEXT, ConfirmationAgent, dtmf_text
from agent.events import Sink, room_sink
from agent.session_factory import SessionParts, production_parts

log = logging.getLogger("agent.room")

# A phone call ends on its own well before this (LiveKit's max_call_duration on the SIP participant);
# this is the driver's last guard against a conversation that never ends.
CONVERSE_MARGIN_SECONDS = 30.0


async def end_call(ctx: JobContext, reason: str, *, hang_up: bool) -> None:
    """End the job; with `hang_up`, end the phone call too.

    `ctx.shutdown()` only makes the agent leave: the SIP participant stays in the room (dead air, a
    voicemail recording silence) until the room goes away. Deleting the room disconnects every
    participant, which makes LiveKit send the SIP BYE. The delete is awaited before the shutdown
    because the framework cancels still-pending `JobContext` tasks at the end of the shutdown."""
    if hang_up:
        await ctx.delete_room(room_name=ctx.job.room.name or None)
    ctx.shutdown(reason=reason)


class RoomTransport:
    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self.mode: CallMode = "sip"   # until the attempt is loaded: `web` attempts are browser test calls
        self.room_name = ctx.job.room.name
        self.lkapi: api.LiveKitAPI = ctx.api
        self._hung_up = asyncio.Event()
        self._closed = asyncio.Event()
        self._room_deleted = False
        self._max_seconds = 900.0
        self._session: AgentSession[Any] | None = None
        self._tap: ToneTap | None = None
        self._greeted = False

    def session_parts(self, call: CallInfo) -> SessionParts:
        self.mode = "web" if call.mode == "web" else "sip"
        self._max_seconds = float(call.clinic.max_call_seconds) + CONVERSE_MARGIN_SECONDS
        return production_parts(call, self.ctx.proc.userdata["vad"])

    def event_sink(self) -> Sink | None:
        return room_sink(self.ctx.room)

    async def start(self, session: AgentSession[Any], agent: ConfirmationAgent, record: CallRecord) -> None:
        await self.ctx.connect()
        state = agent.state
        patient = dialing.PATIENT_IDENTITY if self.mode == "sip" else None

        @self.ctx.room.on("sip_dtmf_received")
        def _dtmf(ev: rtc.SipDTMF) -> None:
            session.interrupt()
            session.generate_reply(user_input=dtmf_text(ev.digit))

        @session.on("user_state_changed")
        def _away(ev: Any) -> None:
            # Only once the greeting has been said: before it, a quiet line is AMD's to judge (a person who
            # picked up without a word is greeted when AMD gives up listening), and a "didn't hear anything"
            # line then would come before the greeting and ask the same question twice.
            if ev.new_state == "away" and self._greeted and state.end_action is None:
                session.generate_reply(user_input=SILENCE_TEXT)

        @self.ctx.room.on("participant_disconnected")
        def _left(p: rtc.RemoteParticipant) -> None:
            if patient is None or p.identity == patient:
                self._hung_up.set()

        @session.on("agent_state_changed")
        def _speaking(ev: Any) -> None:
            if ev.new_state == "speaking" and agent.first_spoke_at is None:
                agent.first_spoke_at = time.time()

        session.on("close", lambda _ev: self._closed.set())
        # On a phone call, a session that closes for any other reason (the line dropped, an error) also
        # deletes the room, so no call is left open.
        options = RoomOptions(delete_room_on_close=self.mode == "sip")
        if patient is not None:
            options.participant_identity = patient
        await session.start(agent, room=self.ctx.room, room_options=options)
        self._session = session
        # beep / carrier tones beside AMD's transcript (agent.amd_audio); a phone call only
        self._tap = install_tone_tap(session) if self.mode == "sip" else None
        background = BackgroundAudioPlayer(thinking_sound=[
            AudioConfig(BuiltinAudioClip.KEYBOARD_TYPING, volume=0.6),
            AudioConfig(BuiltinAudioClip.KEYBOARD_TYPING2, volume=0.5)])
        await background.start(room=self.ctx.room, agent_session=session)
        if self.mode == "web":
            # The tester is on the line from the start: the call view's duration and timeline count from here.
            await call_flow.mark(record.call.attempt_id, "in_call")

    def amd(self, session: AgentSession[Any], call: CallInfo) -> contextlib.AbstractAsyncContextManager[Any]:
        # waits for a machine greeting to finish (its beep) before the voicemail starts
        return phone_amd(session)

    async def detect_machine(self, amd: Any, record: CallRecord) -> MachineVerdict:
        if self._tap is not None:
            self._tap.reset()   # the far end just answered: ringback and early media are not the greeting
        verdict = await decide(self._session, amd, self._tap)
        # may quote the greeting: names, never at INFO
        log.debug("amd: %s (%s, AMD alone: %s)", verdict.category, verdict.reason, verdict.amd_category)
        return MachineVerdict(is_machine=verdict.is_machine, category=verdict.category)

    async def converse(self, session: AgentSession[Any], agent: ConfirmationAgent, state: CallState) -> bool:
        self._greeted = True
        # What the person said on picking up ("hello?") was AMD's to hear. Drop it from the turn being built (on
        # a busy machine its transcript is still on the way): arriving during the greeting it would cut the
        # greeting off before its question, and be read as the answer to it.
        session.clear_user_turn()
        agent.say_greeting(session, allow_interruptions=True)
        waits = {asyncio.ensure_future(e.wait()) for e in (state.ended, self._hung_up, self._closed)}
        try:
            await asyncio.wait(waits, timeout=self._max_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if not state.ended.is_set() and not self._hung_up.is_set():
            state.end_reason = state.end_reason or "unclear"
        return self._hung_up.is_set() and not state.ended.is_set()

    async def hang_up(self) -> None:
        if self._room_deleted:
            return
        self._room_deleted = True
        with contextlib.suppress(api.TwirpError):
            await self.ctx.delete_room(room_name=self.room_name or None)

    async def far_end_left(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hung_up.wait(), timeout)
        return self._hung_up.is_set()

    async def close(self, session: AgentSession[Any]) -> None:
        with contextlib.suppress(Exception):
            await session.aclose()
        self.ctx.shutdown(reason="call finished")
