"""What was heard on a real call, from the phone side's recordings: who spoke when, and what they said.

The phone network records each answered leg as two mono tracks on one clock (`remote.wav` = what the phone
heard, i.e. the agent; `phone.wav` = what the phone said, i.e. the patient) and a stereo mix. This module
cuts a track into utterances by loudness, transcribes them through the local speech server, and answers
the questions a listener would ask: when did the agent first speak, how long after the patient stopped did
the agent answer, did the agent say anything about the appointment before the patient said who they were,
did it repeat itself, did it read out digits or markup. Used by tests/real_stack/test_personas_spoken.py and
bench/voice_latency.py."""

from __future__ import annotations

import re
import wave
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

RATE = 16000


@dataclass(frozen=True)
class Span:
    """One stretch of speech in a track, in seconds from the start of the recording."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Utterance:
    start: float
    end: float
    text: str


def read_mono(path: str | Path) -> np.ndarray:
    """A 16-bit WAV as float samples at 16 kHz (the phone network's recordings already are)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM WAV")
        rate, channels, raw = w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1)
    if rate != RATE:
        n = round(x.size * RATE / rate)
        x = np.interp(np.linspace(0, x.size - 1, n), np.arange(x.size), x)
    return x


def read_stereo(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Left and right channels of a stereo WAV (the phone network's call.wav: left = remote, right = phone)."""
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 2 or w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit stereo WAV")
        raw = w.readframes(w.getnframes())
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64).reshape(-1, 2)
    return x[:, 0], x[:, 1]


def speech_spans(samples: np.ndarray, *, threshold_dbfs: float = -45.0, frame_ms: int = 20,
                 min_speech: float = 0.12, join_gap: float = 0.45) -> list[Span]:
    """Stretches louder than `threshold_dbfs`, at least `min_speech` long; pauses shorter than `join_gap`
    (between words, between a sentence's clauses) do not split a span."""
    step = RATE * frame_ms // 1000
    n = samples.size // step
    if n == 0:
        return []
    frames = samples[: n * step].reshape(n, step)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    with np.errstate(divide="ignore"):
        db = 20 * np.log10(np.maximum(rms, 1e-9) / 32768)
    loud = db > threshold_dbfs
    spans: list[Span] = []
    start: int | None = None
    for i, on in enumerate(loud):
        if on and start is None:
            start = i
        elif not on and start is not None:
            spans.append(Span(start * frame_ms / 1000, i * frame_ms / 1000))
            start = None
    if start is not None:
        spans.append(Span(start * frame_ms / 1000, n * frame_ms / 1000))
    joined: list[Span] = []
    for s in spans:
        if joined and s.start - joined[-1].end < join_gap:
            joined[-1] = Span(joined[-1].start, s.end)
        else:
            joined.append(s)
    return [s for s in joined if s.seconds >= min_speech]


def sentences(spans: Sequence[Span], *, gap: float = 0.9) -> list[Span]:
    """Spans grouped into what a listener hears as one utterance (pauses under `gap` seconds kept inside)."""
    out: list[Span] = []
    for s in spans:
        if out and s.start - out[-1].end < gap:
            out[-1] = Span(out[-1].start, s.end)
        else:
            out.append(s)
    return out


def transcribe(speech_url: str, samples: np.ndarray, client: httpx.Client | None = None) -> str:
    """Whisper's reading of a stretch of audio (local speech server)."""
    import io

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    c = client or httpx.Client(timeout=120)
    resp = c.post(speech_url.rstrip("/") + "/v1/audio/transcriptions", data={"model": "whisper-1"},
                  files={"file": ("audio.wav", buf.getvalue(), "audio/wav")})
    resp.raise_for_status()
    return str(resp.json()["text"]).strip()


def utterances(speech_url: str, samples: np.ndarray, spans: Iterable[Span], *, pad: float = 0.15) -> list[Utterance]:
    """Each span transcribed on its own (with a little audio either side)."""
    out: list[Utterance] = []
    with httpx.Client(timeout=120) as client:
        for s in spans:
            a, b = max(0, int((s.start - pad) * RATE)), int((s.end + pad) * RATE)
            out.append(Utterance(s.start, s.end, transcribe(speech_url, samples[a:b], client)))
    return out


# -------------------------------------------------------------------------------------------------------
# Checks on what the agent said, as heard.

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DETAIL = re.compile(r"\b(" + "|".join(WEEKDAYS) + r"|patel|main street|9:30|930|nine[- ]thirty)", re.IGNORECASE)
_MARKUP = re.compile(r"[*#_`\[\]{}<>|~]|asterisk|hashtag|bullet point")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_DIGIT_STRING = re.compile(r"\d{5,}")
# Heard through Whisper, digits read one by one ("two one two, five five five...") come back as numerals
# ("212-5550101"), so a digit run on the recording proves nothing. A raw digit string the TTS read as one
# number comes back as a big number: "2,125,550,101" (or its words).
_BIG_NUMBER = re.compile(r"\b\d{1,3}(,\d{3}){2,}\b|\b(million|billion)\b", re.IGNORECASE)
# a sentence ends at . ! ? followed by space, except after a title ("Dr. Patel" is one sentence)
_SENTENCE_END = re.compile(r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bSt\.)(?<=[.!?])\s+")


def appointment_details(text: str) -> list[str]:
    """Appointment details a listener would catch in `text`: weekday, provider, place, the time."""
    return sorted({m.group(0).lower() for m in _DETAIL.finditer(text)})


def repeated_sentences(texts: Iterable[str], *, min_words: int = 5) -> list[str]:
    """Sentences of at least `min_words` words heard more than once, word for word."""
    seen: dict[str, int] = {}
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            words = re.sub(r"[^a-z0-9' ]+", " ", sentence.lower()).split()
            if len(words) >= min_words:
                key = " ".join(words)
                seen[key] = seen.get(key, 0) + 1
    return [s for s, n in seen.items() if n > 1]


def unspeakable(text: str) -> list[str]:
    """Markup, emoji or long raw digit strings in text the agent sends to speech (a phone number written
    digit by digit, "2 1 2, 5 5 5", is read that way; "2125550101" is read as one number)."""
    return [m.group(0) for rx in (_MARKUP, _EMOJI, _DIGIT_STRING) for m in rx.finditer(text)]


def unspeakable_heard(text: str) -> list[str]:
    """The same, in what the phone heard (Whisper's transcript of the recording): markup read out ("asterisk",
    "hashtag"), emoji, and a digit string read as one big number. Whisper writes digits read one by one as
    numerals, so a digit run alone is not a finding here."""
    return [m.group(0) for rx in (_MARKUP, _EMOJI, _BIG_NUMBER) for m in rx.finditer(text)]


def response_gaps(patient: Sequence[Span], agent: Sequence[Span], *, max_gap: float = 8.0) -> list[float]:
    """For each patient utterance, seconds from its end to the agent's next audio (turns where the agent
    was already talking when the patient stopped, or stayed silent over `max_gap`, are not turns)."""
    gaps: list[float] = []
    for p in patient:
        if any(a.start < p.end < a.end for a in agent):
            continue              # the agent was talking over the end of it
        nxt = next((a for a in agent if a.start >= p.end), None)
        if nxt is None:
            continue
        gap = nxt.start - p.end
        later = [q for q in patient if p.end < q.start < nxt.start]
        if later or gap > max_gap:
            continue              # the patient spoke again first: not an answer to this one
        gaps.append(gap)
    return gaps


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")
