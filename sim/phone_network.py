"""The simulated phone network: which persona owns each number, and what the line does when dialed.

The LiveKit stand-in asks `dial(number)` when a CreateSIPParticipant arrives (busy, rings out, a machine
or a person picks up), and the agent job, once answered, asks `far_end_for(number)` for who is speaking.
Numbers get their persona from a call list's `persona` column, else deterministically from the number.

Calls are counted per number (busy_then_confirm is busy only on its first call). The counter can live
in Redis so that a restarted stand-in (the chaos test kills it mid-batch) keeps counting where it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from livekit.protocol.sip import CreateSIPParticipantRequest

from agent.far_end import FarEnd
from clinic.call_lists.columns import fold, map_header
from clinic.call_lists.decoding import decode, iter_records, sniff_delimiter
from clinic.call_lists.report import WholeFileError
from clinic.call_lists.rows import CleanRow, RowValidator, StartError, parse_date, parse_start
from clinic.phones import InvalidPhone, to_e164
from sim.livekit_standin.phone_network import DialResult
from sim.personas import DEFAULT_MIX, Line, get_spec, line_for, make_far_end, persona_for_number


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


@dataclass(frozen=True)
class SimRow:
    """One call-list row as the simulator sees it (parsed exactly as the importer parses it)."""

    line: int
    external_id: str
    phone: str
    persona: str
    first_name: str
    starts_at: datetime


def _first_name(full: str) -> str:
    parts = full.replace(",", " ").split()
    if "," in full and len(parts) > 1:   # "Garcia, Maria"
        return parts[1]
    return parts[0] if parts else ""


def read_call_list(data: bytes, *, clinic_timezone: str = "America/New_York", country: str = "US") -> list[SimRow]:
    """The rows of a call list with their personas. Uses the importer's own decoding, header aliases and row
    rules, so the simulator and the import agree on every number and start time; rows the importer would
    reject are left out (the import reports them). An unknown persona is an error naming the line, because
    a typo there would silently test the wrong thing; a missing persona column means personas by number."""
    try:
        text = decode(data).text
        records = iter_records(text, sniff_delimiter(text))
        first = next(records, None)
        if first is None:
            raise CallListError("the call list is empty")
        columns = map_header(first[1])
    except WholeFileError as exc:
        raise CallListError(str(exc)) from None
    persona_col = next((i for i, h in enumerate(first[1]) if fold(h) == "persona"), None)
    validator = RowValidator(columns, clinic_timezone=clinic_timezone, country=country,
                             now=datetime(1970, 1, 1, tzinfo=UTC))
    out: list[SimRow] = []
    for line, fields in records:
        rough = _rough_start(columns.index, fields)
        if rough is None:
            continue
        # The simulator reads any dates (its clock starts before them); the importer's "not in the past,
        # not years ahead" rule is applied for real at import time, against the simulated "now".
        validator.now = rough - timedelta(days=2)
        row = validator.validate(line, fields)
        if not isinstance(row, CleanRow):
            continue
        persona = fields[persona_col].strip() if persona_col is not None and persona_col < len(fields) else ""
        if persona:
            try:
                get_spec(persona)
            except ValueError as exc:
                raise CallListError(f"line {line}, column persona: {exc}") from None
        else:
            persona = persona_for_number(row.phone)
        out.append(SimRow(line, row.external_id, row.phone, persona, _first_name(row.patient_name), row.starts_at))
    return out


def _rough_start(index: dict[str, int], fields: list[str]) -> datetime | None:
    """The start within a day (time zone ignored), enough to anchor the row check; None if unreadable."""
    def cell(name: str) -> str:
        i = index.get(name)
        return fields[i].strip() if i is not None and i < len(fields) else ""

    try:
        raw = cell("appointment_start")
        value = parse_start(raw) if raw and ("-" in raw or "/" in raw) else datetime.combine(
            parse_date(cell("appointment_date")), datetime.min.time())
    except (StartError, ValueError):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def read_personas(data: bytes | str, **kwargs: str) -> dict[str, Subscriber]:
    """E.164 number -> subscriber (persona and first name) for a call list."""
    raw = data.encode() if isinstance(data, str) else data
    return {r.phone: Subscriber(r.persona, r.first_name) for r in read_call_list(raw, **kwargs)}


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
        self._default_pool = sorted(default_personas or DEFAULT_MIX)
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

    def assign(self, number: str, persona: str) -> None:
        """Give `number` this persona (keeping a first name the call list gave it)."""
        get_spec(persona)
        n = self.normalize(number)
        self._subs[n] = Subscriber(persona, self._subs[n].first_name if n in self._subs else "")

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


RING_SECONDS = {"busy": 2.0, "no_answer": 30.0, "machine": 12.0, "person": 6.0, "reject": 3.0}


def dial_result(line: Line, ring_timeout: float | None = None) -> DialResult:
    """The SIP answer the stand-in gives for a line: busy = 486 Busy Here, rings out = 480 Temporarily
    Unavailable after the ringing timeout, reject = 603 Decline, machine or person = 200 OK after a few rings."""
    ring = RING_SECONDS[line] if line != "no_answer" or not ring_timeout else ring_timeout
    if line == "busy":
        return DialResult(486, ring_seconds=ring)
    if line == "no_answer":
        return DialResult(480, ring_seconds=ring)
    if line == "reject":
        return DialResult(603, ring_seconds=ring)
    return DialResult(200, ring_seconds=ring)
