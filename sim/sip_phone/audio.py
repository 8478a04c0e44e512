"""Audio for the phone network: one PCM format, WAV in and out, a beep, offline text-to-speech.

Everything inside the phone network is 16 kHz, 16-bit, mono little-endian PCM (the conference bridge's
format; pjsua converts to and from whatever codec the call negotiated). Speech is made offline with
Debian's espeak-ng and cached by text, so a persona's lines cost one synthesis per machine, not per call.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

RATE = 16000
FRAME_MS = 20
FRAME_BYTES = RATE * FRAME_MS // 1000 * 2    # one 20 ms frame of 16-bit mono


class AudioError(RuntimeError):
    """Audio could not be read or made (missing file, unsupported WAV, no speech engine)."""


def read_wav(path: str | Path) -> bytes:
    """A WAV file as phone-network PCM (resampled to 16 kHz mono if needed)."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2:
                raise AudioError(f"{path}: only 16-bit PCM WAV is supported (got {8 * w.getsampwidth()}-bit)")
            rate, channels, raw = w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())
    except (OSError, wave.Error, EOFError) as exc:
        raise AudioError(f"{path}: {exc}") from None
    samples = np.frombuffer(raw, dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype("<i2")
    return resample(samples, rate).tobytes()


def resample(samples: np.ndarray, rate: int, to: int = RATE) -> np.ndarray:
    """Linear-interpolation resampling: plenty for telephone-band speech and tones."""
    if rate == to or samples.size == 0:
        return samples.astype("<i2")
    n = round(samples.size * to / rate)
    x = np.linspace(0, samples.size - 1, n)
    return np.interp(x, np.arange(samples.size), samples.astype(np.float64)).round().astype("<i2")


def wav_complete(path: str | Path) -> bool:
    """True once a WAV file's header accounts for all its data (PJSIP fills the sizes in when it closes the
    file, which its conference bridge does asynchronously)."""
    try:
        with open(path, "rb") as f:
            head = f.read(44)
            size = f.seek(0, 2)
    except OSError:
        return False
    if len(head) < 44 or head[:4] != b"RIFF" or head[36:40] != b"data":
        return False
    return int.from_bytes(head[40:44], "little") == size - 44 and size > 44


def write_wav(path: str | Path, pcm: bytes, *, channels: int = 1, rate: int = RATE) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return path


def tone(freq: float = 1000.0, seconds: float = 0.5, level: float = 0.5) -> bytes:
    """A sine tone (a voicemail beep is 1 kHz for about half a second)."""
    t = np.arange(int(RATE * seconds)) / RATE
    ramp = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)   # 10 ms fades: no clicks
    return (np.sin(2 * np.pi * freq * t) * ramp * level * 32767).astype("<i2").tobytes()


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(RATE * seconds)


def rms_dbfs(pcm: bytes) -> float:
    """Loudness of a stretch of PCM in dB relative to full scale (-inf for digital silence)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(samples * samples)))
    return 20 * np.log10(rms / 32768) if rms > 0 else float("-inf")


def duration(pcm: bytes) -> float:
    return len(pcm) / 2 / RATE


class EspeakVoice:
    """Text to phone-network PCM with espeak-ng (a Debian package), cached on disk by voice and text.

    `voice` is an espeak-ng voice name (en-us, en-us+f3 for a female variant, ...); the pluggable seam for a
    better offline TTS is the `Voice` protocol in `brain.py`, this is just the one that needs no model."""

    def __init__(self, cache_dir: str | Path, voice: str = "en-us", words_per_minute: int = 165) -> None:
        self.cache_dir = Path(cache_dir)
        self.voice = voice
        self.wpm = words_per_minute
        self.binary = shutil.which("espeak-ng")

    def synthesize(self, text: str) -> bytes:
        key = hashlib.sha256(f"{self.voice}|{self.wpm}|{text}".encode()).hexdigest()[:24]
        cached = self.cache_dir / f"{key}.wav"
        if cached.exists():
            return read_wav(cached)
        if not self.binary:
            raise AudioError("espeak-ng is not installed (apt-get install espeak-ng): the phone network "
                             "speaks its personas' lines with it")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        raw = cached.with_suffix(".raw.wav")
        subprocess.run([self.binary, "-v", self.voice, "-s", str(self.wpm), "-w", str(raw), text],
                       check=True, capture_output=True, timeout=30)
        pcm = read_wav(raw)
        write_wav(cached, pcm)
        raw.unlink(missing_ok=True)
        return pcm


def mix_stereo(left: bytes, right: bytes) -> bytes:
    """Two mono tracks as one interleaved stereo track (the shorter one padded with silence)."""
    a = np.frombuffer(left, dtype="<i2")
    b = np.frombuffer(right, dtype="<i2")
    n = max(a.size, b.size)
    out = np.zeros((n, 2), dtype="<i2")
    out[: a.size, 0] = a
    out[: b.size, 1] = b
    return out.tobytes()
