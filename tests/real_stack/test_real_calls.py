"""Calls through the real LiveKit server and SIP service to the SIP phone network, each one started the
production way (Celery dispatch -> CreateDispatch -> the agent worker -> CreateSIPParticipant -> INVITE).

What the stand-in (sim/livekit_standin) still does, and why: the text-mode night (`make demo`, tests/sim) and
faults the real server cannot be made to produce on demand (a Twirp 503 on CreateDispatch, a 403/5xx from a
carrier trunk for the circuit breaker, a refused TransferSIPParticipant) — tests/dialer and tests/agent."""

from __future__ import annotations

import re
import time
import wave
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dialer import reaper
from sim.real_call import CallReport, RealCallStack, persona_number

pytestmark = [pytest.mark.real_stack, pytest.mark.timeout(900)]


def transcribe(stack: RealCallStack, wav: str | Path) -> str:
    """What a person would hear in a recording, through the local speech server (Whisper)."""
    with open(wav, "rb") as f:
        resp = httpx.post(f"{stack.speech_url}/v1/audio/transcriptions", timeout=120,
                          files={"file": ("audio.wav", f, "audio/wav")}, data={"model": "whisper-1"})
    resp.raise_for_status()
    return str(resp.json()["text"])


def seconds_of(wav: str | Path) -> float:
    with wave.open(str(wav)) as w:
        return w.getnframes() / w.getframerate()


def call(stack: RealCallStack, clinic: dict[str, Any], persona: str) -> CallReport:
    report = stack.place_call(clinic, persona, timeout=300)
    assert report.outcome is not None, \
        f"{persona}: no outcome; attempt {report.attempt_id} is {report.status}\n{stack.story(report.attempt_id)}"
    return report


@pytest.mark.parametrize(("persona", "outcome", "codes"), [
    ("busy", "busy", {486}),
    ("rejecter", "rejected", {603}),
    ("no_answer", "no_answer", {408, 480, 487}),
])
def test_unanswered_calls_end_with_the_sip_code(stack: RealCallStack, clinic: dict[str, Any], persona: str,
                                                 outcome: str, codes: set[int]) -> None:
    report = call(stack, clinic, persona)
    assert report.outcome == outcome, report.as_json()
    assert report.sip_status_code in codes
    assert report.phone_record is not None, "the phone network never saw the INVITE"
    assert report.phone_record["persona"] == persona
    assert report.appointment_status == "pending"   # the retry policy tries again later
    if persona == "busy" and stack.webhooks_received:
        # LiveKit's own signed webhooks for this call's room reached the token server and were verified there
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with stack.connect() as conn:
                seen = {r["event"] for r in conn.execute("SELECT event FROM livekit_webhooks").fetchall()}
            if "room_started" in seen:
                break
            time.sleep(0.5)
        assert "room_started" in seen, seen


def test_voicemail_is_detected_on_audio_and_the_message_has_no_details(stack: RealCallStack,
                                                                       clinic: dict[str, Any]) -> None:
    report = call(stack, clinic, "voicemail")
    assert report.outcome == "voicemail_left", report.as_json()
    assert report.phone_record is not None
    message = report.phone_record.get("message_recording")
    assert message and seconds_of(message) > 2.0, "nothing was recorded after the beep"
    heard = transcribe(stack, message).lower()
    assert "sunrise" in heard or "family medicine" in heard, heard   # the clinic's name ...
    # ... and no appointment detail. Whole words: the callback number is spoken digit by digit, and Whisper tiny
    # may hear one of its fives as "nine"; the appointment's time is "nine thirty".
    for detail in ("patel", "thursday", "friday", "monday", "tuesday", "wednesday", "main street", "9:30",
                   "nine thirty", "half past nine"):
        assert not re.search(rf"\b{re.escape(detail)}\b", heard), f"voicemail said {detail!r}: {heard}"


# Keypad digits travel as RFC 2833 telephone events from the phone, through LiveKit SIP, to the agent's room
# (`sip_dtmf_received`). The keypad personas say who they are, wait for the appointment question, then press.
def test_keypad_1_confirms_the_appointment(stack: RealCallStack, clinic: dict[str, Any]) -> None:
    report = call(stack, clinic, "keypad_confirmer")
    assert report.outcome == "confirmed", report.as_json()
    assert report.appointment_status == "confirmed"
    assert report.phone_record is not None
    assert [d["digit"] for d in report.phone_record["dtmf_sent"]] == ["1"]


def test_keypad_9_opts_out_and_the_number_goes_on_the_dnc_list(stack: RealCallStack, clinic: dict[str, Any]) -> None:
    report = call(stack, clinic, "keypad_opt_out")
    assert report.outcome == "opted_out", report.as_json()
    with stack.connect() as conn:
        dnc = conn.execute("SELECT 1 FROM dnc WHERE phone = %s", (report.phone,)).fetchone()
    assert dnc is not None


# LiveKit SIP v1.8.0 sometimes ends its REFER transaction ("transaction failed to complete") while the phone's 202
# is arriving; the agent then counts the transfer by the far end leaving the original leg (README, "Transfers").
def test_asking_for_a_person_transfers_to_the_front_desk(stack: RealCallStack, clinic: dict[str, Any]) -> None:
    report = call(stack, clinic, "human")
    assert report.outcome == "transferred", report.as_json()
    desk = stack.phone.wait_for_record(lambda r: r.get("number") == clinic["transfer_number"], timeout=60)
    assert desk.get("answered_at"), desk     # the REFER landed at the front desk, which answered


def test_patient_hanging_up_mid_call_ends_hung_up_with_the_transcript(stack: RealCallStack,
                                                                      clinic: dict[str, Any]) -> None:
    report = call(stack, clinic, "hang_up")
    assert report.outcome == "hung_up", report.as_json()
    assert any(t["role"] == "agent" for t in report.transcript)


def test_killing_the_agent_mid_call_loses_nothing_and_never_dials_twice(stack: RealCallStack,
                                                                        clinic: dict[str, Any]) -> None:
    from dialer.tasks import dispatch

    phone = persona_number("confirmer")
    now = stack.clock_now()
    attempt_id = stack.create_attempt(clinic, phone, patient_name="Jordan Rivera", now=now,
                                      deadline=timedelta(seconds=90))
    legs_before = len(stack._legs_to(phone))
    dispatch.apply_async((attempt_id,), queue=stack.queue)
    if not stack.wait_in_call(attempt_id):
        pytest.fail("the call was never answered")
    time.sleep(3)                       # mid-conversation
    stack.kill_process("agent")
    stack.start_process("agent")        # LiveKit may hand the failed job to the new worker
    stack.wait_for_agent()
    row = stack.wait_for_outcome(attempt_id, timeout=100)
    if row["outcome"] is None:          # no job restarted: the reaper (beat, every minute) ends it past its deadline
        with stack.connect() as conn:
            reaper.reap(conn, stack.clock_now())
            conn.commit()
        row = stack.wait_for_outcome(attempt_id, timeout=5)
    assert row["outcome"] in ("lost", "failed", "hung_up"), row["outcome"]
    assert row["appointment_status"] == "pending"   # retried later by the retry policy, not settled wrongly
    assert stack.phone_record(phone, legs_before, timeout=120) is not None   # the one leg, once it has ended
    time.sleep(2)
    legs = stack._legs_to(phone)[legs_before:]
    assert len(legs) == 1, f"dialed {len(legs)} times"


def test_a_job_no_agent_worker_takes_ends_lost_at_the_dispatch_check(stack: RealCallStack,
                                                                    clinic: dict[str, Any]) -> None:
    """With no agent worker up, the real server accepts CreateDispatch and drops its job without a word. The
    dialer's check (DIALER_DISPATCH_CHECK_SECONDS, 20 s) finds the dispatch without a job and ends the attempt
    `lost` saying why, instead of leaving it `dispatched` for the reaper; nothing is dialed."""
    from dialer.dispatch import DROPPED_ERROR

    registered = stack.registrations()
    stack.kill_process("agent")
    try:
        time.sleep(2)   # the server sees the worker's connection close
        report = stack.place_call(clinic, "confirmer", timeout=90)
    finally:
        stack.start_process("agent")
        stack.wait_for_registrations(registered + 1)
    assert (report.outcome, report.error) == ("lost", DROPPED_ERROR), report.as_json()
    assert report.phone_record is None, "dialed without an agent"
    assert report.appointment_status == "pending"    # the retry policy calls again later


def test_phone_test_call_from_the_api_dials_the_allow_listed_number(stack: RealCallStack,
                                                                     clinic: dict[str, Any]) -> None:
    """`POST /api/test-calls/phone` (the page's "call my phone") dials for real through the clinic's trunk."""
    from clinic import clinics

    if not stack.webhooks_received:
        pytest.skip("port 8000 is taken by another token server: this stack has none to ask")
    number = persona_number("busy")
    with stack.connect() as conn:
        key = clinics.create_api_key(conn, clinic["id"], "real-stack test").key
        conn.execute("UPDATE clinics SET test_allowlist = array_append(test_allowlist, %s::e164) WHERE id = %s",
                     (number, clinic["id"]))
        conn.commit()
    resp = httpx.post(f"http://127.0.0.1:{stack._webhook_port()}/api/test-calls/phone", timeout=30,
                      headers={"Authorization": f"Bearer {key}"}, json={"phone": number})
    assert resp.status_code == 201, resp.text
    attempt_id = resp.json()["attempt_id"]
    row = stack.wait_for_outcome(attempt_id, timeout=180)
    assert row["outcome"] == "busy" and row["sip_status_code"] == 486, row["outcome"]
