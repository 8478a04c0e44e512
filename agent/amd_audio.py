"""LiveKit's AMD plus what the transcript cannot carry: the voicemail beep and the carrier's tones.

LiveKit's AMD decides from the STT transcript (through the session's LLM, or the scripted classifier
offline) and silence timing. A `ToneTap` sits between the call's audio input and the session, passes
every frame through untouched, and runs `agent.tones.ToneTracker` on it. When the AMD verdict arrives,
`decide` combines the two with `with_tones`:
- carrier special information tones -> `machine-unavailable` (no one to talk to, no mailbox);
- a beep heard while AMD said `human` or `uncertain` -> `machine-vm` ("Dana Smith." + beep is a
  mailbox, not Dana);
- otherwise AMD's verdict stands.

Used by `agent.room_transport.RoomTransport` (sip calls):
    tap = install_tone_tap(session)             # after session.start(...)
    amd = phone_amd(session)                    # entered before dialing
    ... once answered: tap.reset()              # ringback / early media are not the greeting
    verdict = await decide(session, amd, tap)   # instead of amd.execute()
Not wired yet: for a `human` verdict, `await late_beep(tap, 2.0)` while the greeting plays -> interrupt
and leave the voicemail instead (bench/amd_accuracy.py measures it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents.voice import io
from livekit.agents.voice.amd import AMD
from livekit.agents.voice.amd.detector import DetectionOptions

from agent import dialing
from agent.tones import ToneTracker

# Someone who picks up and says nothing is waiting for the caller: LiveKit's default no-speech window (10 s)
# is dead air a person hangs up on. Answering machines and carrier messages start within a second of the
# answer (the greetings in sim/amd_corpus.py: 0.2-0.9 s), so after this long with no speech the agent greets.
PHONE_NO_SPEECH_SECONDS = 3.0


def phone_amd(session: Any, **options: Any) -> AMD:
    """LiveKit's AMD as a phone call runs it: listening to the dialed participant, waiting for a machine
    greeting to finish before the voicemail starts, and giving up on hearing anything after
    `PHONE_NO_SPEECH_SECONDS` (verdict `uncertain`: the call goes on as a person's). `options`: AMD keyword
    overrides (experiments); `detection_options` given there are laid over this one."""
    detection: DetectionOptions = {"no_speech_threshold": PHONE_NO_SPEECH_SECONDS,
                                   **options.pop("detection_options", {})}
    return AMD(session, participant_identity=dialing.PATIENT_IDENTITY, wait_until_finished=True,
               suppress_compatibility_warning=True, detection_options=detection, **options)


class ToneTap(io.AudioInput):
    """Pass-through audio input that listens for tones on the way."""

    def __init__(self, source: io.AudioInput | None) -> None:
        super().__init__(label="ToneTap", source=source)
        self.tracker: ToneTracker | None = None
        self.beep = asyncio.Event()     # set when a beep has ended (the mailbox is recording)
        self.sit = asyncio.Event()      # set on the carrier's special information tones

    async def __anext__(self) -> rtc.AudioFrame:
        frame = await super().__anext__()
        if self.tracker is None:
            self.tracker = ToneTracker(frame.sample_rate)
        pcm = np.frombuffer(frame.data, dtype=np.int16)
        self.tracker.push(pcm[:: frame.num_channels] if frame.num_channels > 1 else pcm)
        if self.tracker.beeps:
            self.beep.set()
        if self.tracker.sit:
            self.sit.set()
        return frame

    def reset(self) -> None:
        """Forget what was heard so far: call when the far end answers, so ringback and the carrier's
        early media before the answer are not taken for the greeting's tones."""
        self.tracker = None
        self.beep.clear()
        self.sit.clear()

    @property
    def beep_heard(self) -> bool:
        return self.beep.is_set()

    @property
    def sit_heard(self) -> bool:
        return self.sit.is_set()


def install_tone_tap(session: Any) -> ToneTap | None:
    """Put a `ToneTap` in front of the session's current audio input (call after `session.start`);
    None when the session has no audio input (text mode)."""
    if session.input.audio is None:
        return None
    tap = ToneTap(session.input.audio)
    session.input.audio = tap
    return tap


def with_tones(category: str, *, beep: bool, sit: bool) -> tuple[str, str]:
    """(category, reason) after the tones: see the module docstring. Pure, so the rule has its own tests."""
    if sit:
        return "machine-unavailable", "sit_tones"
    if beep and category in ("human", "uncertain"):
        return "machine-vm", "beep"
    return category, "amd"


@dataclass(frozen=True)
class Verdict:
    category: str            # LiveKit AMDCategory value
    reason: str              # "amd" | "beep" | "sit_tones"
    amd_category: str        # what LiveKit's AMD said on its own
    transcript: str          # the greeting as heard: PHI (names); never log above DEBUG

    @property
    def is_machine(self) -> bool:
        return self.category.startswith("machine")


async def decide(session: Any, amd: AMD, tap: ToneTap | None) -> Verdict:
    """LiveKit's AMD verdict, a beep or the carrier's tones, whichever comes first.

    A beep ends the question early and at the right moment: the mailbox records from the end of the
    beep, so the voicemail starts then instead of after AMD's silence windows. SIT tones come before the
    carrier's message, so a dead number is settled in about a second instead of AMD's 20 s timeout."""
    verdict_task = asyncio.ensure_future(amd.execute())
    waiters: list[asyncio.Future[Any]] = [verdict_task]
    if tap is not None:
        waiters += [asyncio.ensure_future(tap.beep.wait()), asyncio.ensure_future(tap.sit.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters[1:]:
            w.cancel()
    beep, sit = bool(tap and tap.beep_heard), bool(tap and tap.sit_heard)
    if verdict_task.done():
        result = verdict_task.result()
        category, reason = with_tones(result.category.value, beep=beep, sit=sit)
        amd_category, transcript = result.category.value, result.transcript
    else:   # a tone settled it first; AMD is closed by its context manager
        verdict_task.cancel()
        category, reason = with_tones("uncertain", beep=beep, sit=sit)
        amd_category, transcript = "pending", ""
    if category.startswith("machine") and amd_category != category:
        await session.interrupt(force=True)     # stop anything the agent had started to say
    return Verdict(category, reason, amd_category, transcript)


async def late_beep(tap: ToneTap, within: float) -> bool:
    """True if a beep ends within `within` seconds. For a `human` verdict on a short greeting: AMD
    answers "Dana Smith." after half a second of silence, before the mailbox's beep; the worker starts
    its greeting and, if this returns True, interrupts it and leaves the voicemail instead."""
    try:
        await asyncio.wait_for(tap.beep.wait(), timeout=within)
    except TimeoutError:
        return False
    return True
