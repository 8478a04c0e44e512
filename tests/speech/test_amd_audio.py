"""A handful of corpus greetings, played at real time through the agent's AMD path on audio."""

from __future__ import annotations

import asyncio
from pathlib import Path

from livekit.plugins import silero

from agent.speech_backends import local_speech_parts
from clinic.settings import Settings
from sim.amd_corpus import make_item
from sim.amd_on_audio import amd_on_wav

# (kind, index): a person saying "Hello?" and waiting; a name-only greeting that only its beep gives away;
# a long voicemail greeting and beep; an IVR menu; a carrier intercept that opens with SIT tones.
CASES = [("human", 0), ("vm_beep", 7), ("vm_beep", 0), ("ivr", 0), ("carrier", 0)]


async def test_greetings_get_the_verdict_a_receptionist_would_give(speech_server_url: str, tmp_path: Path) -> None:
    items = [make_item(kind, index, tmp_path) for kind, index in CASES]   # type: ignore[arg-type]
    parts = local_speech_parts(Settings(speech_backend="local", local_speech_url=speech_server_url))
    vad = silero.VAD.load()
    verdicts = await asyncio.gather(*(amd_on_wav(i.path, stt=parts.stt, vad=vad) for i in items))
    got = {i.id: (v.category, v.reason) for i, v in zip(items, verdicts, strict=True)}
    assert {i.id: got[i.id][0] for i in items} == {i.id: i.expected for i in items}, got
    # AMD alone hears a person in "Dana Smith."; only the beep makes it a mailbox. The beep lands before
    # AMD's verdict ("beep") or after it, while the greeting would play ("late_beep"): which one depends on
    # how fast the STT answers on a loaded machine, and the call goes the same way in both.
    assert got["vm_beep-007"][1] in ("beep", "late_beep"), got["vm_beep-007"]
    assert got["carrier-000"][1] == "sit_tones"
    person = verdicts[0]
    assert person.seconds < 3.0, "a person who said hello must not wait long for the agent"
    await parts.tts.aclose()


async def test_a_silent_pick_up_is_a_person_greeted_before_the_line_counts_as_quiet(speech_server_url: str,
                                                                                     tmp_path: Path) -> None:
    """Someone who answers without a word is waiting for the caller: AMD stops listening after
    PHONE_NO_SPEECH_SECONDS (not LiveKit's 10 s) and does not call it a machine, so the greeting comes before
    the session's away timer (8 s) would make the agent say "I didn't hear anything" first."""
    import wave

    import numpy as np

    from agent.amd_audio import PHONE_NO_SPEECH_SECONDS

    path = tmp_path / "silent.wav"
    hiss = np.random.default_rng(0).normal(0, 30, 8000 * 12).astype("<i2")     # a quiet open line, 12 s
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(hiss.tobytes())
    parts = local_speech_parts(Settings(speech_backend="local", local_speech_url=speech_server_url))
    verdict = await amd_on_wav(path, stt=parts.stt, vad=silero.VAD.load(), max_seconds=12, late_beep_within=0)
    assert not verdict.category.startswith("machine"), verdict
    assert verdict.seconds < 8.0, f"AMD listened {verdict.seconds:.1f}s to silence (window {PHONE_NO_SPEECH_SECONDS}s)"
    await parts.tts.aclose()
