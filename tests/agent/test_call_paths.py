"""SIP failures and the transfer through the LiveKit stand-in, DTMF, brain fallback mid-call, slot races."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from livekit.agents import APIConnectionError, llm

from agent.far_end import Turn
from agent.session_factory import scripted_brain
from clinic import scheduling
from sim.livekit_standin import BUSY, DECLINED, NO_ANSWER, TIMEOUT, TRUNK_FAILURE
from tests.agent.conftest import PHONE, ScriptedFarEnd, agent_lines, appointment, attempt


@pytest.mark.parametrize(("dial", "outcome", "code"), [
    (BUSY, "busy", 486), (NO_ANSWER, "no_answer", 480), (TIMEOUT, "no_answer", 408),
    (DECLINED, "rejected", 603), (TRUNK_FAILURE, "failed", 503)])
def test_sip_failures_map_to_outcomes(world, run_call, standin, conn, dial, outcome, code):
    standin.network.results[PHONE] = dial
    result = run_call(ScriptedFarEnd(["yes"]))
    assert result.outcome == outcome
    row = attempt(conn, world["attempt"]["id"])
    assert row["sip_status_code"] == code and row["dial_started_at"] is not None and row["answered_at"] is None
    req = standin.calls_to("CreateSIPParticipant")[0].as_json()
    assert req["request"]["wait_until_answered"] is True and req["request"]["sip_trunk_id"] == "ST_demo_trunk"


def test_answered_call_records_times_and_caller_id(world, run_call, standin, conn):
    run_call(ScriptedFarEnd(["yes", "yes"]))
    row = attempt(conn, world["attempt"]["id"])
    assert row["answered_at"] is not None and row["ended_at"] is not None and row["duration_seconds"] is not None
    req = standin.calls_to("CreateSIPParticipant")[0].as_json()["request"]
    assert req["sip_number"] == "+12125550100" and req["sip_call_to"] == PHONE


def test_failed_transfer_is_recorded(world, run_call, standin, conn):
    standin.fail_next("SIP", "TransferSIPParticipant", code="unavailable")
    result = run_call(ScriptedFarEnd(["yes", "let me speak to the front desk"]))
    assert result.outcome == "failed"
    assert "transfer failed" in attempt(conn, world["attempt"]["id"])["error"]


def test_transfer_without_a_sip_answer_stays_failed_when_the_far_end_stays(world, run_call, standin, conn):
    """No SIP answer to the REFER and the far end still on the line (typed turns never hang up): not counted as
    transferred. Over SIP, the far end leaving settles it the other way (tests/real_stack/test_real_calls.py)."""
    standin.fail_next("SIP", "TransferSIPParticipant", code="canceled")
    result = run_call(ScriptedFarEnd(["yes", "let me speak to the front desk"]))
    assert result.outcome == "failed"
    assert "transfer failed" in attempt(conn, world["attempt"]["id"])["error"]


@pytest.mark.parametrize(("digit", "outcome"), [("1", "confirmed"), ("3", None), ("9", "opted_out"),
                                                 ("0", "transferred")])
def test_dtmf_keys(world, run_call, conn, digit, outcome):
    turns: list[Any] = ["yes", Turn(dtmf=digit)]
    if digit == "3":
        turns += ["no"]   # keypad 3 cancels straight away, then the rebook offer is declined
        outcome = "cancelled"
    result = run_call(ScriptedFarEnd(turns))
    assert result.outcome == outcome


def test_dtmf_2_reschedules(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes", Turn(dtmf="2"), "friday morning", "the first one"]))
    assert result.outcome == "rescheduled"


def test_dtmf_9_works_before_identity(world, run_call):
    result = run_call(ScriptedFarEnd([Turn(dtmf="9")]))
    assert result.outcome == "opted_out"


class _DyingLLM(llm.LLM):
    """A production model that answers the first `ok_calls` requests (via the script) and then fails."""

    def __init__(self, inner: llm.LLM, ok_calls: int) -> None:
        super().__init__()
        self.inner, self.ok_calls, self.calls = inner, ok_calls, 0

    @property
    def model(self) -> str:
        return "flaky-primary"

    def chat(self, **kwargs: Any) -> llm.LLMStream:
        self.calls += 1
        if self.calls > self.ok_calls:
            raise APIConnectionError("model endpoint unreachable")
        return self.inner.chat(**kwargs)


def test_fallback_switches_brains_mid_call(world, run_call, conn):
    used: dict[str, Any] = {}

    def brain(call):
        primary = _DyingLLM(scripted_brain(call), ok_calls=1)
        used["primary"] = primary
        return llm.FallbackAdapter([primary, scripted_brain(call)], attempt_timeout=2.0, max_retry_per_llm=0)

    result = run_call(ScriptedFarEnd(["yes", "yes I'll be there"]), brain=brain)
    assert used["primary"].calls > 1          # the primary was tried again and failed
    assert result.outcome == "confirmed"        # the script carried the rest of the call
    assert appointment(conn, world["appointment"]["id"])["status"] == "confirmed"


def test_two_calls_race_for_one_slot(world, conn):
    """Two transactions book the same free slot at once: exactly one wins, the other keeps its old slot."""
    from clinic.db import connection

    appt_a = world["appointment"]
    appt_b = conn.execute(
        "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, provider) VALUES"
        " (%s, 'B-1', %s, %s + interval '1 hour', 'Dr. Patel') RETURNING *",
        (appt_a["clinic_id"], appt_a["patient_id"], appt_a["starts_at"])).fetchone()
    slot = conn.execute("SELECT id FROM slots WHERE appointment_id IS NULL AND provider = 'Dr. Patel'"
                        " ORDER BY starts_at DESC LIMIT 1").fetchone()
    conn.commit()
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}

    def book(appt_id: int) -> None:
        try:
            with connection() as c:
                barrier.wait()
                scheduling.book_slot(c, appointment_id=appt_id, slot_id=slot["id"], now=appt_a["starts_at"])
            results[appt_id] = "won"
        except scheduling.SlotTaken:
            results[appt_id] = "lost"

    threads = [threading.Thread(target=book, args=(a,)) for a in (appt_a["id"], appt_b["id"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["lost", "won"]
    conn.rollback()
    holders = conn.execute("SELECT appointment_id FROM slots WHERE id = %s", (slot["id"],)).fetchone()
    winner = next(a for a, r in results.items() if r == "won")
    assert holders["appointment_id"] == winner
    loser = next(a for a, r in results.items() if r == "lost")
    assert appointment(conn, loser)["status"] == "pending"


def test_repeated_book_is_idempotent(world, conn):
    slot = conn.execute("SELECT id FROM slots WHERE appointment_id IS NULL ORDER BY starts_at DESC LIMIT 1").fetchone()
    from clinic.db import connection

    for _ in range(2):
        with connection() as c:
            scheduling.book_slot(c, appointment_id=world["appointment"]["id"], slot_id=slot["id"],
                                 now=world["appointment"]["starts_at"])
    conn.rollback()
    assert conn.execute("SELECT count(*) AS n FROM slots WHERE appointment_id = %s",
                        (world["appointment"]["id"],)).fetchone()["n"] == 1


def test_events_schema_on_the_data_channel(world, run_call):
    result = run_call(ScriptedFarEnd(["yes", "yes"]))
    kinds = {e["type"] for e in result.events}
    assert kinds == {"tool_call", "transcript", "call_summary"}
    for e in result.events:
        assert e["v"] == 1 and e["attempt_id"] == world["attempt"]["id"]
    assert {e["status"] for e in result.events if e["type"] == "tool_call"} >= {"started", "success"}
    assert result.events[-1]["type"] == "call_summary" and result.events[-1]["outcome"] == "confirmed"


def test_no_sentence_repeats_in_a_call(world, run_call):
    result = run_call(ScriptedFarEnd(["yes", "banana", "hmm", "I'd rather next week", "none of those",
                                      "thursday afternoon", "the second one"]))
    lines = agent_lines(result)
    assert len(lines) == len(set(lines))


def test_a_crashing_job_ends_failed_with_its_reason_and_trips_the_breaker(world, run_call, conn):
    """Issue 10 item 2 / issue 14 item 4: a clinic without a trunk is dialed. Every job raises; each attempt
    ends `failed` with the reason (not `lost` for the reaper, retried for ever) and the circuit breaker
    pauses the clinic once half its recent calls crashed."""
    clinic_id = world["clinic"]["id"]
    conn.execute("UPDATE clinics SET sip_trunk_id = NULL WHERE id = %s", (clinic_id,))
    conn.commit()
    assert run_call(ScriptedFarEnd(["yes"])).outcome == "failed"
    row = attempt(conn, world["attempt"]["id"])
    assert row["outcome"] == "failed" and row["status"] == "ended"
    assert row["error"].startswith("agent job crashed: ValueError:") and "sip_trunk_id" in row["error"]
    appt = conn.execute("SELECT status, attempts_count, next_attempt_at FROM appointments WHERE id = %s",
                        (row["appointment_id"],)).fetchone()
    assert appt["status"] == "pending" and appt["attempts_count"] == 1 and appt["next_attempt_at"] is not None
    # Nine more crashed calls in the clinic's recent results: half of 20 -> paused, with the reason shown.
    for n in range(9):
        a = conn.execute("INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, mode, status)"
                         " VALUES (%s, %s, %s, %s, 'sim', 'dispatched') RETURNING id",
                         (clinic_id, row["appointment_id"], n + 2, PHONE)).fetchone()["id"]
        conn.commit()
        assert run_call(ScriptedFarEnd(["yes"]), attempt_id=a).outcome == "failed"
    clinic = conn.execute("SELECT paused_at, paused_reason FROM clinics WHERE id = %s", (clinic_id,)).fetchone()
    assert clinic["paused_at"] is not None and "crashed agent jobs" in clinic["paused_reason"]


def test_an_exception_outside_the_driver_also_ends_the_attempt_failed(world, conn):
    """`call_flow.guard_job` wraps the whole job (worker entrypoint, sim job): even what escapes the driver
    (LiveKit client set-up, a bug in a transport) ends the attempt `failed` with its reason, and is re-raised."""
    import asyncio
    import json

    from agent import call_flow

    async def broken() -> None:
        raise RuntimeError("transport exploded for +12125550143")

    aid = world["attempt"]["id"]
    with pytest.raises(RuntimeError):
        asyncio.run(call_flow.guard_job(json.dumps({"attempt_id": aid}), broken()))
    row = attempt(conn, aid)
    assert row["outcome"] == "failed" and row["error"].startswith("agent job crashed: RuntimeError: transport exploded")
    assert "5550143" not in row["error"]  # masked


def test_the_outcome_lands_when_postgres_drops_the_final_write(world, run_call, conn, monkeypatch):
    """Issue 14, found by the real-stack Postgres crash (tests/real_stack/test_real_night_faults.py): the call's
    end-of-call write met a dead connection and the real result was replaced by the crash record (`failed`), so a
    voicemail already left was forgotten and left again. The write now waits the outage out, and the attempt keeps
    the call's own outcome with no crash recorded. (The outage itself, on a real restarted cluster:
    tests/clinic/test_db_outage.py.)"""
    import psycopg

    from agent import call_record

    real = call_record.outcomes.finish_attempt
    writes: list[str] = []

    def dropped_once(c, attempt_id, outcome, **kw):
        writes.append(outcome)
        if len(writes) == 1:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return real(c, attempt_id, outcome, **kw)

    monkeypatch.setattr(call_record.outcomes, "finish_attempt", dropped_once)
    result = run_call(ScriptedFarEnd(["yes", "yes"]))
    row = attempt(conn, world["attempt"]["id"])
    assert (result.outcome, row["outcome"], row["error"]) == ("confirmed", "confirmed", None)
    assert writes == ["confirmed", "confirmed"]
