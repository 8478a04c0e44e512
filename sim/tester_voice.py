"""A browser tester's voice as one WAV file, for Chromium's fake microphone
(`--use-file-for-fake-audio-capture=FILE`).

Chromium plays the file in a loop from the moment the page opens the microphone, whatever the agent says, so
a script is lines with long pauses between them: each pause outlasts the agent's turn before it, and a line
heard again on the next loop is still a sensible answer. Spoken offline by Debian's espeak-ng at full band
(a browser microphone, not a phone line), cached by text.

    python -m sim.tester_voice out.wav "pause 9" "Yes, this is Jordan." "pause 12" "Yes, I'll be there."
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import typer

from sim.phone_audio import read_wav, resample, wav_bytes

RATE = 48000          # what WebRTC captures at; Chromium would resample anything else
_PAUSE = re.compile(r"^pause\s+(\d+(?:\.\d+)?)$")


def build(script: Sequence[str], cache_dir: Path, *, voice: str = "en-us", wpm: int = 150) -> bytes:
    """`script`: lines to say, and `pause N` items (seconds of silence). Returns a 16-bit mono WAV."""
    parts: list[np.ndarray] = []
    for item in script:
        pause = _PAUSE.match(item.strip())
        if pause:
            parts.append(np.zeros(int(float(pause.group(1)) * RATE), dtype=np.float32))
            continue
        pcm, rate = _espeak(item, cache_dir, voice=voice, wpm=wpm)
        speech = resample(pcm.astype(np.float32) / 32768.0, rate, RATE)
        peak = float(np.max(np.abs(speech))) if speech.size else 0.0
        parts.append(speech * (0.7 / peak) if peak > 0 else speech)
    audio = np.concatenate(parts) if parts else np.zeros(RATE, dtype=np.float32)
    return wav_bytes(np.clip(audio * 32767.0, -32768, 32767).astype(np.int16), RATE)


def _espeak(text: str, cache_dir: Path, *, voice: str, wpm: int) -> tuple[np.ndarray, int]:
    binary = shutil.which("espeak-ng")
    key = hashlib.sha256(f"{voice}|{wpm}|{text}".encode()).hexdigest()[:24]
    cached = cache_dir / f"{key}.wav"
    if not cached.exists():
        if not binary:
            raise RuntimeError("espeak-ng is not installed: run `make voices` (apt-get install espeak-ng)")
        cache_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([binary, "-v", voice, "-s", str(wpm), "-w", str(cached), text], check=True,
                       capture_output=True, timeout=30)
    return read_wav(str(cached))


def write(path: Path, script: Sequence[str], cache_dir: Path | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build(script, cache_dir or path.parent / ".voice-cache"))
    return path


def main(out: Path = typer.Argument(..., help="WAV file to write"),
         script: list[str] = typer.Argument(..., help='lines to say and "pause N" items')) -> None:
    """Write a tester's script as a WAV for Chromium's fake microphone."""
    write(out, script)
    typer.echo(str(out))


if __name__ == "__main__":
    typer.run(main)
