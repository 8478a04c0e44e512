"""Play a recorded greeting into the agent's real AMD path and return its verdict.

The far end is a WAV played at real time (20 ms frames, then silence, as an answered line stays open)
into an `AgentSession` built by `agent.session_factory.build_session` with the production audio parts:
the given STT (the local speech server through `openai.STT`), Silero VAD, the local v1-mini turn
detector and the scripted brain (which answers AMD's classifier prompt offline). AMD is the phone
call's (`agent.amd_audio.phone_amd`, as `RoomTransport` builds it) with the same tone tap and `decide`.
Only the transport differs from a call: frames come from a file instead of a LiveKit room."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import Agent, StopResponse, llm
from livekit.agents.voice import io

from agent.amd_audio import decide, install_tone_tap, late_beep, phone_amd
from agent.call_context import CallInfo
from agent.session_factory import SessionParts, build_session, scripted_brain
from clinic.appointments.models import Appointment, Clinic
from sim.phone_audio import read_wav

FRAME_MS = 20


class WavLine(io.AudioInput):
    """A phone line's incoming audio from a WAV file, at real time; silence after the file ends."""

    def __init__(self, samples: np.ndarray, rate: int, *, max_seconds: float) -> None:
        super().__init__(label="WavLine")
        self._samples, self._rate = samples, rate
        self._step = rate * FRAME_MS // 1000
        self._pos = 0
        self._max = int(max_seconds * rate)
        self._t0: float | None = None

    async def __anext__(self) -> rtc.AudioFrame:
        if self._pos >= self._max:
            raise StopAsyncIteration
        if self._t0 is None:
            self._t0 = time.perf_counter()
        due = self._t0 + self._pos / self._rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        chunk = self._samples[self._pos:self._pos + self._step]
        if len(chunk) < self._step:
            chunk = np.pad(chunk, (0, self._step - len(chunk)))
        self._pos += self._step
        return rtc.AudioFrame(chunk.astype(np.int16).tobytes(), self._rate, 1, self._step)


class _Listener(Agent):
    """Says nothing: only AMD's verdict is under test (the greeting is the call's first turn)."""

    def __init__(self) -> None:
        super().__init__(instructions="Listen only.")

    async def on_user_turn_completed(self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage) -> None:
        raise StopResponse()


@dataclass(frozen=True)
class AudioVerdict:
    category: str
    reason: str
    amd_category: str
    transcript: str
    seconds: float          # from the start of listening to the first verdict (before any late beep)


def _call_for_amd() -> CallInfo:
    # Only the greeting is heard: the clinic's name is all the agent says, so the appointment is a placeholder.
    return CallInfo(attempt_id=0, attempt_number=1, mode="sim", phone="+15555550100",
                    clinic=Clinic(id=0, slug="maple", name="Maple Clinic", timezone="America/New_York"),
                    appointment=Appointment(id=0, clinic_id=0, external_id="amd", patient_id=0,
                                            starts_at=datetime(2027, 1, 1, 15, tzinfo=UTC)),
                    patient_full_name="Pat Example")


async def amd_on_wav(path: Path | str, *, stt: Any, vad: Any, turn_detection: Any = None,
                     max_seconds: float = 30.0, late_beep_within: float = 2.0, tones: bool = True,
                     detection_options: dict[str, float] | None = None) -> AudioVerdict:
    """The agent's AMD verdict (with tones) for one recorded greeting. `late_beep_within`: after a
    `human` verdict keep listening this long for a mailbox beep (0 = AMD and tones at verdict time).
    `tones=False`: LiveKit's AMD alone. `detection_options`: AMD timing overrides to try (the worker's
    `phone_amd` defaults otherwise)."""
    samples, rate = read_wav(str(path))
    if turn_detection is None:
        from livekit.agents.inference import TurnDetector

        turn_detection = TurnDetector(version="v1-mini")
    session = build_session(SessionParts(stt=stt, llm=scripted_brain(_call_for_amd()), vad=vad,
                                         turn_detection=turn_detection))
    session.input.audio = WavLine(samples, rate, max_seconds=max_seconds)
    await session.start(_Listener())
    tap = install_tone_tap(session) if tones else None
    started = time.perf_counter()
    try:
        async with phone_amd(session, **({"detection_options": detection_options} if detection_options else {})) as amd:
            verdict = await asyncio.wait_for(decide(session, amd, tap), timeout=max_seconds + 5)
        seconds = time.perf_counter() - started
        category, reason = verdict.category, verdict.reason
        if category == "human" and tap is not None and late_beep_within and await late_beep(tap, late_beep_within):
            category, reason = "machine-vm", "late_beep"    # the worker interrupts its greeting here
    finally:
        await session.aclose()
    return AudioVerdict(category, reason, verdict.amd_category, verdict.transcript, seconds)
