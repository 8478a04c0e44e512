"""Filler speech and short acknowledgments, varied so a call never repeats a sentence word for word.

A receptionist says "um, let me pull that up" while the computer thinks, and "mm-hmm, got it" before
answering. Repeating the same line twice is what makes a call sound like a machine, so one
`PhrasePicker` per call remembers everything it handed out and builds new combinations when a pool
runs dry."""

from __future__ import annotations

import random

LOOKUP_OPENERS = ("Um,", "Okay,", "Alright,", "Sure,", "Mm-hmm,", "Right,", "One sec,", "Bear with me,")
LOOKUP_BODIES = (
    "let me pull that up.",
    "checking the schedule.",
    "let me take a look.",
    "just a moment while I check.",
    "I'm looking at the calendar now.",
    "give me one second.",
    "let me see what we have.",
    "pulling up your appointment.",
)
SAVE_BODIES = (
    "let me put that in.",
    "updating that for you now.",
    "I'm noting that down.",
    "saving that now.",
    "making a note of that.",   # said before a confirm too: nothing that sounds like changing the booking
    "let me get that recorded.",
)
STILL_WORKING = (
    "Still checking, thanks for your patience.",
    "Almost there, just a moment longer.",
    "Thanks for waiting, this is taking a second.",
    "Nearly done, sorry about the wait.",
)
ACKS = ("Mm-hmm.", "Got it.", "Okay.", "Sure.", "Alright.", "Of course.", "Perfect.", "Great.", "Understood.",
        "Sounds good.", "Thanks.", "Okay, great.")


class PhrasePicker:
    """Per-call source of fillers and acknowledgments; never returns the same sentence twice."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._used: set[str] = set()

    def _fresh(self, candidates: list[str]) -> str | None:
        unused = [c for c in candidates if c.lower() not in self._used]
        if not unused:
            return None
        pick = self._rng.choice(unused)
        self._used.add(pick.lower())
        return pick

    def _combo(self, openers: tuple[str, ...], bodies: tuple[str, ...]) -> str:
        combos = [f"{o} {b}" for o in openers for b in bodies]
        pick = self._fresh(combos)
        if pick is None:  # hundreds of fillers in one call: fall back to a bare body, still varied
            return self._rng.choice(bodies).capitalize()
        return pick

    def lookup(self) -> str:
        """While reading the database or searching slots."""
        return self._combo(LOOKUP_OPENERS, LOOKUP_BODIES)

    def saving(self) -> str:
        """While writing a decision."""
        return self._combo(LOOKUP_OPENERS, SAVE_BODIES)

    def still_working(self, step: int = 0) -> str | None:
        """For `RunContext.with_filler` when a tool runs long; None once the pool is used."""
        return self._fresh(list(STILL_WORKING))

    def ack(self) -> str:
        """A short opener for a reply ("Mm-hmm.", "Got it.")."""
        pick = self._fresh(list(ACKS))
        if pick is None:
            return ""
        return pick

    def unique(self, variants: list[str]) -> str:
        """One of `variants` not yet said in this call (or, if all were, the first with a twist)."""
        pick = self._fresh(variants)
        if pick is not None:
            return pick
        base = variants[0]
        for prefix in ("So, ", "Just to say it again, ", "Once more, ", "Again, "):
            candidate = prefix + base[0].lower() + base[1:]
            if candidate.lower() not in self._used:
                self._used.add(candidate.lower())
                return candidate
        return base

    def mark_said(self, text: str) -> None:
        self._used.add(text.lower())
