"""Pure tone detection on call audio: the voicemail beep, and the carrier's special information tones.

A voicemail greeting's words are often enough for LiveKit's AMD, but not always: "Dana Smith." followed
by a beep reads like a person answering, and the words alone cannot tell when the mailbox starts to
record. A beep can: it is one steady tone (usually 850-1800 Hz, 0.2-1 s) after the greeting. A carrier
intercept ("the number you have dialed is not in service") often opens with three rising tones
(about 914, 1371 and 1777 Hz, 274-380 ms each).

Method: 20 ms frames, Hann window, the strongest spectral peak in 300-3400 Hz; a frame is tonal when
that peak (and its immediate neighbours) holds most of the frame's energy and the frame is not
silence. Speech spreads its energy over many harmonics, so it is rarely tonal for more than a few
frames; a run of tonal frames at one steady frequency is a tone."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

FRAME_SECONDS = 0.02
MIN_LEVEL = 0.01            # frame RMS (full scale = 1.0) below which a frame is silence
TONAL_SHARE = 0.6           # share of the frame's in-band energy in the peak's +-1 bin
BEEP_LOW_HZ, BEEP_HIGH_HZ = 800.0, 2000.0
BEEP_MIN_SECONDS = 0.15
SIT_HZ = (913.8, 1370.6, 1776.7)
SIT_GAP = 0.15              # seconds between SIT tones at most


@dataclass(frozen=True)
class Tone:
    start: float      # seconds from the start of the audio given
    end: float
    hz: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def _frame_peak(frame: np.ndarray, rate: int) -> float | None:
    """The frame's tone frequency, or None when it is silence or not a single tone."""
    if float(np.sqrt(np.mean(frame**2))) < MIN_LEVEL:
        return None
    n = 1 << max(8, int(np.ceil(np.log2(len(frame) * 4))))          # zero-pad for finer bins
    power = np.abs(np.fft.rfft(frame * np.hanning(len(frame)), n)) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    band = (freqs >= 300.0) & (freqs <= min(3400.0, rate / 2 - 100))
    total = float(power[band].sum())
    if total <= 0:
        return None
    idx = np.flatnonzero(band)
    peak = int(idx[np.argmax(power[band])])
    bins_per_main_lobe = max(1, round(2 * n / len(frame)))          # Hann main lobe half-width in bins
    lo, hi = max(0, peak - bins_per_main_lobe), peak + bins_per_main_lobe + 1
    if float(power[lo:hi].sum()) / total < TONAL_SHARE:
        return None
    return float(freqs[peak])


def find_tones(samples: np.ndarray, rate: int, *, min_seconds: float = 0.1) -> list[Tone]:
    """Steady tones in `samples` (int16 or float in [-1, 1]) at least `min_seconds` long."""
    tracker = ToneTracker(rate, min_seconds=min_seconds)
    tracker.push(samples)
    return tracker.finish()


def is_sit(tone: Tone) -> bool:
    """Shaped like one of the three carrier-intercept tones (frequency within 3 %, 200-450 ms)."""
    return 0.2 <= tone.seconds <= 0.45 and any(abs(tone.hz - f) <= 0.03 * f for f in SIT_HZ)


def _sit_pairs(tones: list[Tone]) -> list[tuple[int, int]]:
    """Index pairs of SIT-shaped tones back to back (< 150 ms apart) with a rising frequency."""
    return [(i, i + 1) for i, (a, b) in enumerate(itertools.pairwise(tones))
            if is_sit(a) and is_sit(b) and b.hz > a.hz * 1.1 and b.start - a.end < SIT_GAP]


def has_sit(tones: list[Tone]) -> bool:
    """The carrier's special information tones ("your call cannot be completed as dialed")."""
    return bool(_sit_pairs(tones))


def beeps(tones: list[Tone], *, now: float | None = None, sounding_since: float | None = None) -> list[Tone]:
    """Tones that are a voicemail beep: 800-2000 Hz, at least 150 ms, and not part of a SIT sequence
    (a lone 1400 Hz beep is shaped like a SIT tone; only the rising sequence tells them apart). While
    streaming, `now` is the audio position and `sounding_since` the start of a tone still sounding: a
    SIT-shaped tone that ended less than 150 ms ago, or that another tone followed at once, may be the
    first of three, so it is not a beep yet."""
    in_sit = {i for pair in _sit_pairs(tones) for i in pair}

    def maybe_sit(t: Tone) -> bool:
        return is_sit(t) and ((now is not None and now - t.end < SIT_GAP)
                              or (sounding_since is not None and abs(sounding_since - t.end) < SIT_GAP))

    return [t for i, t in enumerate(tones) if i not in in_sit and BEEP_LOW_HZ <= t.hz <= BEEP_HIGH_HZ
            and t.seconds >= BEEP_MIN_SECONDS and not maybe_sit(t)]


class ToneTracker:
    """Streaming tone finder: push audio as it arrives (any chunk size), read `tones` at any time.
    Frame by frame with constant state, so it costs the same per second on a long call."""

    def __init__(self, rate: int, *, min_seconds: float = 0.1) -> None:
        self.rate = rate
        self.min_seconds = min_seconds
        self.tones: list[Tone] = []
        self._step = max(1, int(rate * FRAME_SECONDS))
        self._rest = np.zeros(0, np.float32)
        self._frame = 0                       # index of the next frame
        self._run_start: int | None = None
        self._run_freqs: list[float] = []

    def push(self, samples: np.ndarray) -> None:
        x = samples.astype(np.float32)
        if samples.dtype == np.int16:
            x = x / 32768.0
        x = np.concatenate([self._rest, x])
        n = len(x) // self._step
        for i in range(n):
            self._on_frame(_frame_peak(x[i * self._step:(i + 1) * self._step], self.rate))
        self._rest = x[n * self._step:]

    def finish(self) -> list[Tone]:
        """Close a tone still sounding at the end of the audio; returns all tones."""
        self._close(self._frame)
        self._run_start, self._run_freqs = None, []
        return self.tones

    def _on_frame(self, hz: float | None) -> None:
        i = self._frame
        self._frame += 1
        if hz is not None and self._run_start is not None:
            current = float(np.median(self._run_freqs))
            if abs(hz - current) <= max(40.0, 0.04 * current):
                self._run_freqs.append(hz)
                return
        self._close(i)
        self._run_start, self._run_freqs = (i, [hz]) if hz is not None else (None, [])

    def _close(self, end_frame: int) -> None:
        """End the current run before frame `end_frame`; keep it if long enough."""
        if self._run_start is None:
            return
        length = (end_frame - self._run_start) * FRAME_SECONDS
        if length >= self.min_seconds:
            start = self._run_start * FRAME_SECONDS
            self.tones.append(Tone(start, start + length, float(np.median(self._run_freqs))))

    @property
    def beeps(self) -> list[Tone]:
        sounding = self._run_start * FRAME_SECONDS if self._run_start is not None else None
        return beeps(self.tones, now=self._frame * FRAME_SECONDS, sounding_since=sounding)

    @property
    def sit(self) -> bool:
        return has_sit(self.tones)
