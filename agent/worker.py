"""The LiveKit worker: explicit dispatch by agent name, Silero VAD loaded once per process in prewarm,
one job = one call (`sip` dials the patient; `web` = the tester is already in the room)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from livekit import api, rtc
from livekit.agents import AgentServer, JobContext, JobProcess, cli
from livekit.agents.voice.background_audio import AudioConfig, BackgroundAudioPlayer, BuiltinAudioClip
from livekit.agents.voice.room_io import RoomOptions
from livekit.plugins import silero

from agent import call_flow, dialing
from agent.call_context import CallNotDialable, parse_metadata
from agent.call_record import CallRecord, final_outcome
from agent.call_state import CallState
from agent.confirmation_agent import SILENCE_TEXT, ConfirmationAgent, dtmf_text
from agent.events import CallEvents, room_sink
from agent.gc_tuning import settle_heap
from agent.session_factory import build_session, production_parts
from agent.voicemail import leave_voicemail_text
from clinic.clock import get_clock
from clinic.logs import install_phi_filter
from clinic.settings import get_settings

log = logging.getLogger("agent.worker")
server = AgentServer()


def prewarm(proc: JobProcess) -> None:
    install_phi_filter()   # the job process's log-forwarding handler exists by now
    proc.userdata["vad"] = silero.VAD.load()
    settle_heap()



server.setup_fnc = prewarm


async def end_call(ctx: JobContext, reason: str, *, hang_up: bool) -> None:
    """End the job; with `hang_up`, end the phone call too.

    `ctx.shutdown()` only makes the agent leave: the SIP participant stays in the room (dead air, a
    voicemail recording silence) until the room goes away. Deleting the room disconnects every
    participant, which makes LiveKit send the SIP BYE. The delete is awaited before the shutdown
    because the framework cancels still-pending `JobContext` tasks at the end of the shutdown."""
    if hang_up:
        await ctx.delete_room(room_name=ctx.job.room.name or None)
    ctx.shutdown(reason=reason)


@server.rtc_session(agent_name=get_settings().agent_name)
async def entrypoint(ctx: JobContext) -> None:
    # Any exception ends the attempt `failed` with its reason and feeds the circuit breaker (call_flow.guard_job).
    await call_flow.guard_job(ctx.job.metadata, _run_job(ctx))


async def _run_job(ctx: JobContext) -> None:
    try:
        attempt_id = parse_metadata(ctx.job.metadata)
        call = await call_flow.load(attempt_id)
    except CallNotDialable as exc:
        log.warning("job skipped: %s", exc)
        return
    await ctx.connect()
    state = CallState()
    events = CallEvents(call.attempt_id, room_sink(ctx.room))
    record = CallRecord(call, events)
    session = build_session(production_parts(call, ctx.proc.userdata["vad"]))
    web = call.mode == "web"
    lkapi: api.LiveKitAPI = ctx.api

    async def on_end(st: CallState) -> None:
        if st.end_action == "transfer":
            try:
                await dialing.transfer(lkapi, ctx.room.name, call.clinic["transfer_number"])
            except api.ServerError as exc:
                st.transfer_error = str(exc)[:200]
        await end_call(ctx, "call finished", hang_up=not web)

    agent = ConfirmationAgent(call, state=state, events=events, greet=web, on_end=on_end)
    record.attach(session, agent)

    @ctx.room.on("sip_dtmf_received")
    def _dtmf(ev: rtc.SipDTMF) -> None:
        session.interrupt()
        session.generate_reply(user_input=dtmf_text(ev.digit))

    @session.on("user_state_changed")
    def _away(ev: Any) -> None:
        if ev.new_state == "away" and state.end_action is None:
            session.generate_reply(user_input=SILENCE_TEXT)

    hung_up = asyncio.Event()
    ctx.room.on("participant_disconnected", lambda p: hung_up.set() if p.identity == dialing.PATIENT_IDENTITY
                else None)

    async def finish(outcome: str, extra: dict[str, Any] | None = None) -> None:
        await record.finish(outcome, state, now=get_clock().now(), audio=True, extra=extra)

    ctx.add_shutdown_callback(lambda: finish(final_outcome(state, far_end_hung_up=hung_up.is_set()),
                                             {"error": f"transfer failed: {state.transfer_error}"}
                                             if state.transfer_error else None))
    # start before dialing so no audio is missed; on a phone call, a session that closes for any other
    # reason (the patient's line dropped, an error) also deletes the room, so no call is left open
    await session.start(agent, room=ctx.room, room_options=RoomOptions(delete_room_on_close=not web))
    background = BackgroundAudioPlayer(thinking_sound=[
        AudioConfig(BuiltinAudioClip.KEYBOARD_TYPING, volume=0.6),
        AudioConfig(BuiltinAudioClip.KEYBOARD_TYPING2, volume=0.5)])
    await background.start(room=ctx.room, agent_session=session)
    if web:
        return
    async with AMD_for(session) as amd:
        dial = await call_flow.place_call(lkapi, call, ctx.room.name)
        if not dial.answered:
            assert dial.outcome is not None
            await record.finish(dial.outcome, None, now=get_clock().now(), audio=False,
                                extra=call_flow.dial_fields(dial))
            await end_call(ctx, dial.outcome, hang_up=True)
            return
        verdict = await amd.execute()
    if verdict.is_machine:
        # One voicemail per appointment: the follow-up call after a voicemail leaves none.
        if verdict.category.value == "machine-vm" and not call.appointment.get("voicemail_left"):
            await session.say(leave_voicemail_text(call.clinic_name, call.callback_number), allow_interruptions=False)
            state.decide("voicemail_left")
        else:
            state.decide("no_answer")
        await end_call(ctx, "machine", hang_up=True)
        return
    session.say(agent.greeting(), allow_interruptions=True)


def AMD_for(session: Any) -> Any:
    """LiveKit's AMD; waits for a machine greeting to finish before the voicemail starts."""
    from livekit.agents.voice.amd import AMD

    return AMD(session, wait_until_finished=True)


def main() -> None:
    install_phi_filter()
    cli.run_app(server)
