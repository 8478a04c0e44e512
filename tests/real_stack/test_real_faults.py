"""Faults on the real stack, mid-call: LiveKit's SIP service or server killed (-9) while a patient is on the
line. After each: the attempt gets an outcome (nothing lost), the number was dialed once (no double dial), and
the next call goes through once the process is back. Figures go to test-artifacts/real_faults.json.

These kill the shared LiveKit processes, so they run last in the real-stack suite (file name order)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dialer import reaper
from sim import livekit_stack
from sim.real_call import RealCallStack, persona_number

pytestmark = [pytest.mark.real_stack, pytest.mark.timeout(900)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FIGURES: list[dict[str, Any]] = []


def _wait_in_call(stack: RealCallStack, attempt_id: int, timeout: float = 120) -> None:
    if not stack.wait_in_call(attempt_id, timeout):
        pytest.fail("the call was never answered")


@pytest.mark.parametrize("process", ["sip", "server"])
def test_livekit_process_killed_mid_call(stack: RealCallStack, clinic: dict[str, Any], process: str) -> None:
    from dialer.tasks import dispatch

    phone = persona_number("confirmer")
    attempt_id = stack.create_attempt(clinic, phone, patient_name="Jordan Rivera", now=stack.clock_now(),
                                      deadline=timedelta(seconds=150))
    legs_before = len(stack._legs_to(phone))
    dispatch.apply_async((attempt_id,), queue=stack.queue)
    _wait_in_call(stack, attempt_id)
    time.sleep(2)
    registered = stack.registrations()
    t_fault = time.monotonic()
    assert livekit_stack.kill(process)
    livekit_stack.start()                        # back as an operator's supervisor would bring it
    row = stack.wait_for_outcome(attempt_id, timeout=170)
    if row["outcome"] is None:                   # left in flight: the reaper ends it past its deadline
        with stack.connect() as conn:
            reaper.reap(conn, stack.clock_now())
            conn.commit()
        row = stack.wait_for_outcome(attempt_id, timeout=5)
    assert row["outcome"] is not None, "outcome lost"
    settled = time.monotonic() - t_fault
    stack.phone_record(phone, legs_before, timeout=90)
    double = len(stack._legs_to(phone)[legs_before:]) - 1
    assert double == 0, f"dialed {double + 1} times"
    if process == "server":
        stack.wait_for_registrations(registered + 1)   # the agent worker reconnects to the new server
    after = stack.place_call(clinic, "busy", timeout=240)   # the next call goes through
    recovered = time.monotonic() - t_fault
    assert after.outcome == "busy", after.as_json()
    FIGURES.append({"fault": f"kill -9 livekit {process} mid-call", "calls_in_flight": 1, "outcomes_lost": 0,
                    "double_dials": double, "outcome": row["outcome"], "seconds_to_outcome": round(settled, 1),
                    "seconds_to_next_call_done": round(recovered, 1)})
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "real_faults.json").write_text(json.dumps(FIGURES, indent=2))
