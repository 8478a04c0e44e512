"""Each persona against the real agent job (sim mode, scripted brain, LiveKit stand-in, real Postgres):
one call's outcome is the persona's defining outcome. Fast: no Celery, no simulated clock."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from agent.sim_mode import run_sim_job
from clinic import slots
from clinic.clock import FixedClock, set_clock
from sim import simulated_livekit
from sim.personas import PERSONAS, line_for
from sim.phone_network import PhoneNetwork
from sim.seed import ensure_sample_clinic

NOW = datetime(2027, 1, 11, 15, 0, tzinfo=UTC)          # Monday 10:00 in New York
STARTS = datetime(2027, 1, 13, 19, 15, tzinfo=UTC)      # Wednesday 14:15
FIRST_CALL_OUTCOME = {name: ("busy" if line_for(name, 1) == "busy" else
                             "no_answer" if line_for(name, 1) == "no_answer" else spec.outcome)
                      for name, spec in PERSONAS.items()}


@pytest.fixture
def clock():
    c = FixedClock(NOW)
    set_clock(c)
    yield c
    set_clock(None)


def _attempt(conn, clinic, phone: str, n: int) -> dict[str, Any]:
    patient = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, 'Maria Lopez', %s)"
                           " RETURNING *", (clinic["id"], phone)).fetchone()
    appt = conn.execute(
        "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, provider, location)"
        " VALUES (%s, %s, %s, %s, 'Dr. Patel', 'Main Street office') RETURNING *",
        (clinic["id"], f"P-{n}", patient["id"], STARTS)).fetchone()
    slots.link_booked(conn, clinic["id"])
    attempt = conn.execute(
        "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, mode, status)"
        " VALUES (%s, %s, 1, %s, 'sim', 'dispatched') RETURNING *", (clinic["id"], appt["id"], phone)).fetchone()
    conn.commit()
    return attempt


def test_every_persona_reaches_its_outcome_with_the_real_agent(conn, clock) -> None:
    clinic = ensure_sample_clinic(conn, date(2027, 1, 11), days=14)
    names = sorted(PERSONAS)
    numbers = {f"+1212555{100 + 2 * i:04d}": name for i, name in enumerate(names)}
    network = PhoneNetwork(numbers, seed=11)
    handle = simulated_livekit.start(network)
    attempts = {phone: _attempt(conn, clinic, phone, i) for i, phone in enumerate(numbers)}
    try:
        async def run_all() -> None:
            for a in attempts.values():
                await asyncio.wait_for(run_sim_job(a["room_name"] or f"call-{a['id']}",
                                                   json.dumps({"attempt_id": a["id"]}), network.far_end_for,
                                                   handle.url, handle.api_key, handle.api_secret), 60)

        asyncio.run(run_all())
    finally:
        handle.stop()
    conn.rollback()
    got = {numbers[phone]: conn.execute("SELECT outcome FROM call_attempts WHERE id = %s",
                                        (a["id"],)).fetchone()["outcome"] for phone, a in attempts.items()}
    assert got == {name: FIRST_CALL_OUTCOME[name] for name in names}
