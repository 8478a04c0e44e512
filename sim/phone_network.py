"""The simulated phone network: which persona owns each number, and what the line does when dialed.

The LiveKit stand-in asks `dial(number)` when a CreateSIPParticipant arrives (busy, rings out, a machine
or a person picks up), and the agent job, once answered, asks `far_end_for(number)` for who is speaking.
Numbers get their persona from a call list's `persona` column, else deterministically from the number.

Calls are counted per number (busy_then_confirm is busy only on its first call). The counter can live
in Redis so that a restarted stand-in (the chaos test kills it mid-batch) keeps counting where it was.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from livekit.protocol.sip import CreateSIPParticipantRequest

from agent.far_end import FarEnd
from clinic.phones import InvalidPhone, to_e164
from sim.livekit_standin.phone_network import DialResult
from sim.personas import PERSONAS, Line, get_spec, line_for, make_far_end, persona_for_number


class CallCounter(Protocol):
    def incr(self, number: str) -> int: ...

    def get(self, number: str) -> int: ...


class MemoryCounter:
    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def incr(self, number: str) -> int:
        self._counts[number] += 1
        return self._counts[number]

    def get(self, number: str) -> int:
        return self._counts[number]


class RedisCounter:
    """Call counts shared by processes and surviving restarts (keys under `prefix`)."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(redis_url)
        self._prefix = prefix

    def _key(self, number: str) -> str:
        return f"{self._prefix}calls:{number}"

    def incr(self, number: str) -> int:
        return int(self._redis.incr(self._key(number)))

    def get(self, number: str) -> int:
        raw = self._redis.get(self._key(number))
        return int(raw) if raw else 0


class CallListError(ValueError):
    """The simulator could not read a call list's numbers or personas; the message names the line."""


@dataclass(frozen=True)
class Subscriber:
    persona: str
    first_name: str = ""


def _first_name(full: str) -> str:
    parts = full.replace(",", " ").split()
    if "," in full and len(parts) > 1:   # "Garcia, Maria"
        return parts[1]
    return parts[0] if parts else ""


def read_personas(data: bytes | str, default_region: str = "US") -> dict[str, Subscriber]:
    """E.164 number -> subscriber, from a call list with `phone` and optional `persona`/`patient_name`
    columns. Rows whose phone does not parse are left out (the importer reports them); an unknown persona
    is an error naming the line, because a typo there would silently test the wrong thing."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except StopIteration:
        raise CallListError("the call list is empty") from None
    if "phone" not in header:
        raise CallListError("the call list has no `phone` column")
    i_phone = header.index("phone")
    i_persona = header.index("persona") if "persona" in header else None
    i_name = next((header.index(n) for n in ("patient_name", "name", "full_name") if n in header), None)
    out: dict[str, Subscriber] = {}
    for line_no, rec in enumerate(reader, start=2):
        if not any(c.strip() for c in rec) or len(rec) <= i_phone:
            continue
        try:
            number = to_e164(rec[i_phone], default_region)
        except InvalidPhone:
            continue
        persona = rec[i_persona].strip() if i_persona is not None and len(rec) > i_persona else ""
        if persona:
            try:
                get_spec(persona)
            except ValueError as exc:
                raise CallListError(f"line {line_no}, column persona: {exc}") from None
        else:
            persona = persona_for_number(number)
        name = _first_name(rec[i_name]) if i_name is not None and len(rec) > i_name else ""
        out[number] = Subscriber(persona, name)
    return out


class PhoneNetwork:
    """Numbers, their personas and their lines. Thread-safe enough for the stand-in (counter ops are atomic
    in Redis; the in-memory counter is used by single-threaded tests)."""

    def __init__(self, subscribers: Mapping[str, Subscriber | str] | None = None, *, seed: int | str = 0,
                 counter: CallCounter | None = None, use_llm: bool | None = False,
                 default_personas: Iterable[str] | None = None) -> None:
        self._subs = {n: (s if isinstance(s, Subscriber) else Subscriber(s)) for n, s in (subscribers or {}).items()}
        self.seed = seed
        self.counter = counter or MemoryCounter()
        self.use_llm = use_llm
        self._default_pool = sorted(default_personas or PERSONAS)
        self.lines: list[tuple[str, int, Line]] = []   # (number, call number, line) in dial order

    @classmethod
    def from_call_list(cls, path: str | Path, **kwargs: object) -> PhoneNetwork:
        return cls(read_personas(Path(path).read_bytes()), **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def normalize(number: str) -> str:
        """Accept what a SIP request carries: `+1...`, `tel:+1...`, `sip:+1...@host`."""
        n = number.strip()
        for scheme in ("tel:", "sip:"):
            if n.startswith(scheme):
                n = n[len(scheme):]
        n = n.split("@", 1)[0]
        try:
            return to_e164(n)
        except InvalidPhone:
            return n

    def subscriber(self, number: str) -> Subscriber:
        n = self.normalize(number)
        return self._subs.get(n) or Subscriber(persona_for_number(n, self._default_pool))

    def persona_of(self, number: str) -> str:
        return self.subscriber(number).persona

    def dial(self, number: str) -> Line:
        """A call to `number` is being placed: count it and say what the line does."""
        n = self.normalize(number)
        call_no = self.counter.incr(n)
        line = line_for(self.persona_of(n), call_no)
        self.lines.append((n, call_no, line))
        return line

    def __call__(self, request: CreateSIPParticipantRequest) -> DialResult:
        """The stand-in's phone-network hook: answer CreateSIPParticipant the way this number's line does."""
        timeout = request.ringing_timeout.seconds if request.HasField("ringing_timeout") else None
        return dial_result(self.dial(request.sip_call_to), timeout)

    def calls_to(self, number: str) -> int:
        return self.counter.get(self.normalize(number))

    def far_end_for(self, number: str) -> FarEnd:
        """Who speaks on the answered call to `number` (its latest call)."""
        n = self.normalize(number)
        sub = self.subscriber(n)
        return make_far_end(sub.persona, seed=self.seed, phone=n, call_number=max(1, self.counter.get(n)),
                            first_name=sub.first_name, use_llm=self.use_llm)


RING_SECONDS = {"busy": 2.0, "no_answer": 30.0, "machine": 12.0, "person": 6.0}


def dial_result(line: Line, ring_timeout: float | None = None) -> DialResult:
    """The SIP answer the stand-in gives for a line: busy = 486 Busy Here, rings out = 480 Temporarily
    Unavailable after the ringing timeout, machine or person = 200 OK after a few rings."""
    ring = RING_SECONDS[line] if line != "no_answer" or not ring_timeout else ring_timeout
    if line == "busy":
        return DialResult(486, ring_seconds=ring)
    if line == "no_answer":
        return DialResult(480, ring_seconds=ring)
    return DialResult(200, ring_seconds=ring)
