"""Ears and a voice for the phone network's talking personas, from the project's local speech server.

A person on the phone hears the agent and answers out loud. Here the persona's ears are Whisper (the local
speech server's OpenAI-compatible `/v1/audio/transcriptions`, sent one WAV per finished agent utterance) and
its voice is Piper (`/v1/audio/speech`), falling back to espeak-ng when the server has no TTS. The persona
itself (sim/personas.py) only ever sees the transcript: it reacts to what it understood, as in text mode.

The speech server is the agent's own (started and shared by sim/real_call.py), so persona and agent use the
same models; the persona speaks at its own pace (`speed`) so the two sides do not sound like one voice, and a
mumbling persona is quiet and noisy (`mumble`)."""

from __future__ import annotations

import hashlib
import io
import logging
import time
import wave
from pathlib import Path

import httpx
import numpy as np

from sim.sip_phone import audio

log = logging.getLogger(__name__)


def pcm_to_wav(pcm: bytes, rate: int = audio.RATE) -> bytes:
    """16-bit mono PCM as WAV bytes (the transcription endpoint wants a file)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()


def wav_to_pcm(data: bytes) -> bytes:
    """WAV bytes as phone-network PCM (16 kHz mono)."""
    with wave.open(io.BytesIO(data), "rb") as w:
        if w.getsampwidth() != 2:
            raise audio.AudioError(f"expected 16-bit WAV, got {8 * w.getsampwidth()}-bit")
        rate, channels, raw = w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())
    samples = np.frombuffer(raw, dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype("<i2")
    return audio.resample(samples, rate).tobytes()


class SpeechServerTranscriber:
    """PCM -> text through the local speech server (Whisper). Thread-safe: the brain calls it off the SIP
    thread. A failed request reads as nothing heard (a person who did not catch it), never a crash."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.url = base_url.rstrip("/") + "/v1/audio/transcriptions"
        self.client = httpx.Client(timeout=timeout)

    def __call__(self, pcm: bytes) -> str:
        started = time.monotonic()
        try:
            resp = self.client.post(self.url, files={"file": ("utterance.wav", pcm_to_wav(pcm), "audio/wav")},
                                    data={"model": "whisper-1", "language": "en"})
            resp.raise_for_status()
            text = str(resp.json().get("text", "")).strip()
            log.info("heard %.2fs of audio in %.2fs", audio.duration(pcm), time.monotonic() - started)
            return text
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("transcription failed: %s", type(exc).__name__)
            return ""


class SpeechServerVoice:
    """Text -> phone-network PCM with Piper through the local speech server, cached on disk by text and
    speed; espeak-ng (`fallback`) when the server cannot be reached."""

    def __init__(self, base_url: str, cache_dir: str | Path, *, fallback: audio.EspeakVoice | None = None,
                 voice: str = "joe", timeout: float = 30.0) -> None:
        self.url = base_url.rstrip("/") + "/v1/audio/speech"
        self.cache_dir = Path(cache_dir)
        self.fallback = fallback
        self.voice = voice
        self.client = httpx.Client(timeout=timeout)

    def synthesize(self, text: str, speed: float = 1.0) -> bytes:
        key = hashlib.sha256(f"piper|{self.voice}|{speed:.2f}|{text}".encode()).hexdigest()[:24]
        cached = self.cache_dir / f"{key}.wav"
        if cached.exists():
            return audio.read_wav(cached)
        try:
            resp = self.client.post(self.url, json={"model": "piper", "input": text, "voice": self.voice,
                                                    "response_format": "wav", "speed": speed})
            resp.raise_for_status()
            pcm = wav_to_pcm(resp.content)
        except (httpx.HTTPError, audio.AudioError, wave.Error) as exc:
            if self.fallback is None:
                raise audio.AudioError(f"speech server TTS failed: {exc}") from exc
            log.warning("piper unavailable (%s): espeak-ng speaks instead", type(exc).__name__)
            return self.fallback.synthesize(text)
        audio.write_wav(cached, pcm)
        return pcm


def mumble(pcm: bytes, *, gain_db: float = -16.0, noise_dbfs: float = -48.0, seed: int = 0) -> bytes:
    """Speech as a mumbler delivers it: much quieter, over a bed of line noise (the noise runs through the
    whole phrase and a little past it, as a bad line does)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) * 10 ** (gain_db / 20)
    tail = np.zeros(int(0.2 * audio.RATE))
    samples = np.concatenate([samples, tail])
    rng = np.random.default_rng(seed)
    samples += rng.normal(0.0, 32768 * 10 ** (noise_dbfs / 20), samples.size)
    return np.clip(samples, -32768, 32767).round().astype("<i2").tobytes()
