"""A number put on a DNC list after the attempt was planned is never dialed: the job ends the attempt as
`lost` ('number on DNC', not counted) and hands the appointment to staff instead of leaving it pending."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import psycopg
import pytest

from agent.call_context import CallNotDialable, NumberOnDnc, load_call
from agent.sim_mode import run_sim_job
from clinic import dnc
from tests.agent.conftest import PHONE, ScriptedFarEnd, appointment, attempt


@pytest.mark.parametrize("scope", ["clinic", "global"])
def test_load_call_refuses_a_number_on_dnc(world: dict[str, Any], conn: psycopg.Connection[Any], scope: str) -> None:
    dnc.add(conn, PHONE, clinic_id=world["clinic"]["id"] if scope == "clinic" else None, reason="asked by phone")
    conn.commit()
    with pytest.raises(NumberOnDnc, match="number on DNC") as exc:
        load_call(conn, world["attempt"]["id"])
    assert isinstance(exc.value, CallNotDialable) and PHONE not in str(exc.value)


def test_other_clinics_dnc_does_not_block(world: dict[str, Any], conn: psycopg.Connection[Any],
                                          make_clinic: Any) -> None:
    other = make_clinic(slug="other-clinic")
    dnc.add(conn, PHONE, clinic_id=other["id"], reason="asked the other clinic")
    conn.commit()
    assert load_call(conn, world["attempt"]["id"]).phone == PHONE


def test_dnc_added_after_planning_ends_the_job_without_dialing(world: dict[str, Any], standin: Any,
                                                               conn: psycopg.Connection[Any]) -> None:
    # a second pending appointment for the same number must not wait behind it either
    other = conn.execute(
        "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at) VALUES (%s, 'A-2', %s,"
        " %s + interval '1 day') RETURNING id", (world["clinic"]["id"], world["patient"]["id"],
                                                world["appointment"]["starts_at"])).fetchone()
    dnc.add(conn, PHONE, clinic_id=None, reason="carrier complaint", source="carrier")
    conn.commit()
    aid = world["attempt"]["id"]
    job = run_sim_job(f"call-{aid}", json.dumps({"attempt_id": aid}), lambda _: ScriptedFarEnd(["yes", "yes"]),
                      standin.url, standin.api_key, standin.api_secret)
    assert asyncio.run(asyncio.wait_for(job, timeout=30)) is None   # not dialable: no call result
    assert standin.calls_to("CreateSIPParticipant") == []
    row = attempt(conn, world["attempt"]["id"])
    assert row["outcome"] == "lost" and row["error"] == "number on DNC" and row["status"] == "ended"
    assert row["dial_started_at"] is None
    for appt_id in (world["appointment"]["id"], other["id"]):
        appt = appointment(conn, appt_id)
        assert appt["status"] == "staff_followup" and appt["next_attempt_at"] is None
    assert appointment(conn, world["appointment"]["id"])["attempts_count"] == 0
