"""What a phone line does to a voice, for test audio: 300-3400 Hz band, 8 kHz, G.711 mu-law, line noise.

Benchmarks and the AMD corpus pass clean synthetic speech through this so the recogniser is judged on
audio that sounds like a call, not like a studio."""

from __future__ import annotations

import io
import wave

import numpy as np

PHONE_RATE = 8000


def resample(samples: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """Band-limited resampling by FFT (whole-signal; fine for clips of a few seconds). float32 out."""
    x = samples.astype(np.float32)
    if rate == new_rate or x.size == 0:
        return x
    n_out = round(x.size * new_rate / rate)
    spectrum = np.fft.rfft(x)
    keep = n_out // 2 + 1
    spectrum = spectrum[:keep] if keep <= spectrum.size else np.pad(spectrum, (0, keep - spectrum.size))
    return (np.fft.irfft(spectrum, n_out) * (n_out / x.size)).astype(np.float32)


def band_limit(x: np.ndarray, rate: int, low: float = 300.0, high: float = 3400.0) -> np.ndarray:
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(x.size, 1.0 / rate)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return np.fft.irfft(spectrum, x.size).astype(np.float32)


def mu_law(x: np.ndarray, mu: float = 255.0) -> np.ndarray:
    """G.711 mu-law round trip (8-bit companding), x in [-1, 1]."""
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    y = np.round((y + 1) * 127.5) / 127.5 - 1          # 8-bit quantisation
    return (np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu).astype(np.float32)


def telephone(samples: np.ndarray, rate: int, *, noise_db: float | None = None,
              rng: np.random.Generator | None = None) -> np.ndarray:
    """int16 (or float in [-1, 1]) audio at `rate` -> int16 at 8 kHz as heard over a phone call.
    `noise_db`: add background noise this many dB below the speech's RMS (e.g. 20 = noisy room)."""
    x = samples.astype(np.float32)
    if samples.dtype == np.int16:
        x = x / 32768.0
    x = band_limit(resample(x, rate, PHONE_RATE), PHONE_RATE)
    if noise_db is not None:
        rng = rng or np.random.default_rng(0)
        speech_rms = float(np.sqrt(np.mean(x[np.abs(x) > 0.01] ** 2))) if np.any(np.abs(x) > 0.01) else 0.05
        noise = band_limit(rng.standard_normal(x.size).astype(np.float32), PHONE_RATE, 200.0, 3600.0)
        noise *= speech_rms * 10 ** (-noise_db / 20) / max(float(np.sqrt(np.mean(noise**2))), 1e-9)
        x = x + noise
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 0.99:
        x = x * (0.99 / peak)
    return np.clip(mu_law(x) * 32767.0, -32768, 32767).astype(np.int16)


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype(np.int16).tobytes())
    return out.getvalue()


def read_wav(path_or_bytes: str | bytes) -> tuple[np.ndarray, int]:
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with wave.open(src, "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError("expected 16-bit mono WAV")
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).copy(), w.getframerate()
