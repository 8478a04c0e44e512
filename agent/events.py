"""Room events for the staff page, sent over the LiveKit data channel (topic `call-events`).

Schema (JSON, one object per message; `v` is the schema version):

    {"v": 1, "type": "tool_call", "ts": <unix seconds>, "attempt_id": int,
     "name": str, "status": "started" | "success" | "error", "call_id": str, "detail": str | null}
    {"v": 1, "type": "transcript", "ts": ..., "attempt_id": int,
     "role": "agent" | "patient", "text": str, "filler": bool}
        (`filler`: the agent's "let me pull that up..." while a tool runs; optional, absent = false)
    {"v": 1, "type": "call_summary", "ts": ..., "attempt_id": int,
     "outcome": str, "summary": str, "duration_seconds": float, "cost_usd": float}

The page is a test tool used by staff in the room, so transcripts go to it; nothing here is logged.
`detail` never carries the arguments of a tool (they may hold PHI), only a short status."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

TOPIC = "call-events"
SCHEMA_VERSION = 1

Sink = Callable[[bytes], Awaitable[None]]


def make_event(kind: Literal["tool_call", "transcript", "call_summary"], attempt_id: int, **fields: Any
               ) -> dict[str, Any]:
    required = {"tool_call": ("name", "status", "call_id"), "transcript": ("role", "text"),
                "call_summary": ("outcome", "summary", "duration_seconds", "cost_usd")}[kind]
    missing = [f for f in required if f not in fields]
    if missing:
        raise ValueError(f"{kind} event is missing {missing}")
    if kind == "tool_call" and fields["status"] not in ("started", "success", "error"):
        raise ValueError(f"tool_call status must be started/success/error, got {fields['status']!r}")
    return {"v": SCHEMA_VERSION, "type": kind, "ts": round(time.time(), 3), "attempt_id": attempt_id, **fields}


class CallEvents:
    """Publishes events to a sink (the room's data channel in sip/web mode, a list in sim/tests)."""

    def __init__(self, attempt_id: int, sink: Sink | None) -> None:
        self.attempt_id = attempt_id
        self._sink = sink
        self.sent: list[dict[str, Any]] = []

    async def emit(self, kind: Literal["tool_call", "transcript", "call_summary"], **fields: Any) -> None:
        event = make_event(kind, self.attempt_id, **fields)
        self.sent.append(event)
        if self._sink is not None:
            with contextlib.suppress(Exception):  # the page is optional; never fail a call over it
                await self._sink(json.dumps(event).encode())


def room_sink(room: Any) -> Sink:
    async def _send(payload: bytes) -> None:
        await room.local_participant.publish_data(payload, reliable=True, topic=TOPIC)

    return _send
