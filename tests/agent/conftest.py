"""Agent test fixtures: the sample clinic with free slots, one appointment with an in-flight attempt,
the LiveKit stand-in, and a scripted far end (the simulated patient)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from agent.far_end import Turn
from agent.sim_mode import SimResult, run_sim_job
from clinic.clock import FixedClock, set_clock
from sim.livekit_standin import ANSWER, ScriptedPhoneNetwork, start_standin
from sim.seed import ensure_sample_clinic

# Monday 2026-03-02 14:00 New York: calls happen on Monday afternoon about Wednesday's appointment.
NOW = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
APPT_START = datetime(2026, 3, 4, 14, 15, tzinfo=UTC)   # Wednesday, March 4th at 9:15 in the morning
PHONE = "+12125550143"


@dataclass
class ScriptedFarEnd:
    """A patient who says `turns` in order (str = speech, Turn for keys/silence/hang-up)."""

    turns: list[str | Turn]
    greeting: str | None = "Hello?"
    kind: str = "person"
    heard: list[str] = field(default_factory=list)

    def first_words(self) -> Turn:
        return Turn(text=self.greeting)

    def reply(self, agent_said: str) -> Turn:
        self.heard.append(agent_said)
        if not self.turns:
            return Turn(hang_up=True)
        nxt = self.turns.pop(0)
        return Turn(text=nxt) if isinstance(nxt, str) else nxt


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    c = FixedClock(NOW)
    set_clock(c)
    yield c
    set_clock(None)


@pytest.fixture
def world(conn: psycopg.Connection[dict[str, Any]], clock: FixedClock) -> dict[str, Any]:
    clinic = ensure_sample_clinic(conn, date(2026, 3, 2), days=10)
    patient = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, 'Maria Lopez', %s)"
                           " RETURNING *", (clinic["id"], PHONE)).fetchone()
    appt = conn.execute(
        "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, provider, location)"
        " VALUES (%s, 'A-1', %s, %s, 'Dr. Patel', 'Main Street office') RETURNING *",
        (clinic["id"], patient["id"], APPT_START)).fetchone()
    from clinic import slots
    slots.link_booked(conn, clinic["id"])
    attempt = conn.execute(
        "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, mode, status)"
        " VALUES (%s, %s, 1, %s, 'sim', 'dispatched') RETURNING *", (clinic["id"], appt["id"], PHONE)).fetchone()
    conn.commit()
    return {"clinic": clinic, "patient": patient, "appointment": appt, "attempt": attempt}


@pytest.fixture
def standin() -> Iterator[Any]:
    network = ScriptedPhoneNetwork({}, default=ANSWER)
    handle = start_standin(phone_network=network, ring_scale=0)
    handle.network = network
    yield handle
    handle.stop()


@pytest.fixture
def run_call(world: dict[str, Any], standin: Any) -> Callable[..., SimResult]:
    def _run(far_end: Any, *, attempt_id: int | None = None, brain: Any = None) -> SimResult:
        aid = attempt_id or world["attempt"]["id"]
        coro = run_sim_job(f"call-{aid}", json.dumps({"attempt_id": aid}), lambda phone: far_end, standin.url,
                           standin.api_key, standin.api_secret, brain=brain)
        result = asyncio.run(asyncio.wait_for(coro, timeout=60))
        assert result is not None
        return result

    return _run


def agent_lines(result: SimResult) -> list[str]:
    return [e["text"] for e in result.transcript if e["role"] == "agent"]


def appointment(conn: psycopg.Connection[dict[str, Any]], appt_id: int) -> dict[str, Any]:
    conn.rollback()
    row = conn.execute("SELECT * FROM appointments WHERE id = %s", (appt_id,)).fetchone()
    assert row is not None
    return row


def attempt(conn: psycopg.Connection[dict[str, Any]], attempt_id: int) -> dict[str, Any]:
    conn.rollback()
    row = conn.execute("SELECT * FROM call_attempts WHERE id = %s", (attempt_id,)).fetchone()
    assert row is not None
    return row


__all__ = ["APPT_START", "NOW", "PHONE", "ScriptedFarEnd", "agent_lines", "appointment", "attempt", "timedelta"]
