"""The tester's WAV for Chromium's fake microphone: the pauses are really there (the file loops, and its
timing is what keeps the tester from talking over the agent), and the words are what a recogniser hears."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from sim import tester_voice

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing: run `make voices`")


def test_pauses_and_speech_are_where_the_script_puts_them(tmp_path: Path) -> None:
    wav = tester_voice.write(tmp_path / "t.wav", ["pause 2", "Yes, this is Jordan.", "pause 3"])
    with wave.open(str(wav)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, tester_voice.RATE)
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    rate = tester_voice.RATE
    assert not np.any(pcm[: 2 * rate])            # silent for the first two seconds
    assert not np.any(pcm[-3 * rate:])            # and the last three
    speech = pcm[2 * rate: -3 * rate]
    assert 0.5 < speech.size / rate < 4 and np.max(np.abs(speech)) > 10000


def test_a_bad_pause_is_spoken_not_silently_dropped(tmp_path: Path) -> None:
    wav = tester_voice.write(tmp_path / "t.wav", ["pause"])   # not "pause N": said as a word
    with wave.open(str(wav)) as w:
        assert np.any(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"))
