"""Beep and carrier-tone detection on synthetic call audio (pure functions, no models)."""

from __future__ import annotations

import numpy as np
import pytest

from agent.amd_audio import with_tones
from agent.tones import SIT_HZ, ToneTracker, beeps, find_tones, has_sit
from sim.phone_audio import PHONE_RATE, telephone

RATE = PHONE_RATE


def tone(hz: float, seconds: float, level: float = 0.4) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * hz * t) * level).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def voice_like(seconds: float, seed: int = 0) -> np.ndarray:
    """A harmonic-rich, pitch-gliding buzz with syllable envelopes: energy spread like speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = 120 + 30 * np.sin(2 * np.pi * 1.3 * t) + rng.uniform(-5, 5)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 25))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    return (x * envelope * 0.1 + rng.standard_normal(t.size) * 0.01).astype(np.float32)


def line(*parts: np.ndarray, noise_db: float | None = 25) -> np.ndarray:
    return telephone(np.concatenate(parts), RATE, noise_db=noise_db, rng=np.random.default_rng(3))


@pytest.mark.parametrize("hz", [850.0, 1000.0, 1400.0, 1800.0])
def test_beep_after_a_greeting_is_found_with_its_time_and_pitch(hz: float) -> None:
    audio = line(silence(0.3), voice_like(2.0), silence(0.6), tone(hz, 0.4), silence(1.0))
    found = beeps(find_tones(audio, RATE))
    assert len(found) == 1
    assert abs(found[0].hz - hz) < 0.03 * hz
    assert found[0].start == pytest.approx(2.9, abs=0.06) and found[0].seconds == pytest.approx(0.4, abs=0.06)


def test_speech_and_line_noise_alone_have_no_beep() -> None:
    audio = line(silence(0.5), voice_like(3.0, seed=1), silence(0.3), voice_like(1.5, seed=2), silence(2.0),
                 noise_db=15)
    assert beeps(find_tones(audio, RATE)) == []


def test_a_blip_shorter_than_150_ms_is_not_a_beep() -> None:
    assert beeps(find_tones(line(silence(0.5), tone(1000.0, 0.1), silence(0.5)), RATE)) == []


def test_carrier_tones_are_sit_not_a_beep() -> None:
    sit = [tone(hz, s, 0.3) for hz, s in zip(SIT_HZ, (0.274, 0.274, 0.380), strict=True)]
    audio = line(silence(0.4), *sit, silence(0.3), voice_like(2.0))
    tones = find_tones(audio, RATE)
    assert has_sit(tones)
    assert beeps(tones) == []


def test_a_lone_1400_hz_beep_shaped_like_a_sit_tone_is_still_a_beep() -> None:
    tones = find_tones(line(voice_like(1.5), silence(0.5), tone(1400.0, 0.35), silence(1.0)), RATE)
    assert not has_sit(tones)
    assert len(beeps(tones)) == 1


def test_streaming_never_calls_the_first_sit_tone_a_beep() -> None:
    """Fed 20 ms at a time as call audio arrives, the first SIT tone must wait for its successor."""
    sit = [tone(hz, s, 0.3) for hz, s in zip(SIT_HZ, (0.274, 0.274, 0.380), strict=True)]
    audio = line(silence(0.4), *sit, silence(1.0))
    tracker = ToneTracker(RATE)
    for i in range(0, len(audio), 160):
        tracker.push(audio[i:i + 160])
        assert not tracker.beeps, f"beep reported at {i / RATE:.2f}s"
    assert tracker.sit


def test_streaming_finds_the_same_beep_as_the_whole_clip() -> None:
    audio = line(voice_like(2.0), silence(0.5), tone(1000.0, 0.5), silence(1.0))
    tracker = ToneTracker(RATE)
    for i in range(0, len(audio), 137):          # odd chunk size: frames straddle pushes
        tracker.push(audio[i:i + 137])
    assert [round(t.start, 2) for t in tracker.beeps] == [round(t.start, 2) for t in beeps(find_tones(audio, RATE))]


@pytest.mark.parametrize(("amd", "beep", "sit", "expected"), [
    ("human", False, False, ("human", "amd")),
    ("human", True, False, ("machine-vm", "beep")),
    ("uncertain", True, False, ("machine-vm", "beep")),
    ("machine-ivr", True, False, ("machine-ivr", "amd")),     # an IVR menu may beep; it is still a menu
    ("uncertain", False, True, ("machine-unavailable", "sit_tones")),
    ("human", False, True, ("machine-unavailable", "sit_tones")),
    ("machine-vm", False, False, ("machine-vm", "amd")),
])
def test_tones_over_amd_verdict(amd: str, beep: bool, sit: bool, expected: tuple[str, str]) -> None:
    assert with_tones(amd, beep=beep, sit=sit) == expected
