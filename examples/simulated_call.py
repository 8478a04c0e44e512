"""One simulated call, end to end, and its transcript as staff read it.

    python examples/simulated_call.py [EXTERNAL_ID] [PERSONA]     # default: SFM-1005 confirmer

The production call path runs in `sim` mode: the agent job loads the attempt from Postgres, dials with
CreateSIPParticipant through the unmodified `livekit.api.LiveKitAPI` against the local LiveKit stand-in,
holds the conversation with a simulated patient (text turns instead of audio), and writes the outcome,
transcript and summary back to the attempt. No LiveKit, OpenAI or Deepgram account is needed: the
scripted receptionist policy stands in for the LLM.
Reads DATABASE_URL from the settings (.env or the environment)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from agent.far_end import FarEnd
from agent.sim_mode import SimResult, run_sim_job
from clinic import clinics
from clinic.appointments import service as appointments
from clinic.appointments.models import Status
from clinic.call_lists.importer import import_call_list
from clinic.clock import FixedClock, set_clock
from clinic.db import connect
from dialer.cli.calls import render_item, transcript_items
from sim.livekit_standin import ANSWER, ScriptedPhoneNetwork, start_standin
from sim.personas import make_far_end
from sim.seed import ensure_sample_clinic

SAMPLE = Path(__file__).with_name("call_list.csv")
# Tuesday 2 pm in New York, inside calling hours, the day before the sample list's first appointments.
NOW = datetime.fromisoformat("2027-01-12T14:00:00-05:00")


def prepare_attempt(external_id: str) -> tuple[int, str]:
    """Import the sample list and open a `sim` call attempt for one appointment (in production the
    beat's planner creates attempts; here we make one by hand). Returns (attempt id, first name)."""
    with connect() as conn:
        clinic = ensure_sample_clinic(conn, date(2027, 1, 11))
        conn.commit()
        import_call_list(conn, clinic, SAMPLE.read_bytes(), filename=SAMPLE.name)
        clinic = clinics.get_by_slug(conn, clinic["slug"])
        row = conn.execute(
            "SELECT a.id, p.phone, p.full_name, coalesce(max(c.attempt_number), 0) + 1 AS next_number"
            " FROM appointments a JOIN patients p ON p.id = a.patient_id"
            " LEFT JOIN call_attempts c ON c.appointment_id = a.id"
            " WHERE a.clinic_id = %s AND a.external_id = %s GROUP BY a.id, p.phone, p.full_name",
            (clinic["id"], external_id)).fetchone()
        if row is None:
            raise SystemExit(f"no appointment {external_id!r} in {SAMPLE.name}")
        # One in-flight attempt per appointment (the database enforces it): close a leftover one first.
        conn.execute("UPDATE call_attempts SET status = 'ended', outcome = 'lost', ended_at = now()"
                     " WHERE appointment_id = %s AND outcome IS NULL", (row["id"],))
        appointments.transition(conn, row["id"], Status.PENDING, actor="cli", reason="example_call_again",
                                now=NOW)
        attempt = conn.execute(
            "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, mode, status)"
            " VALUES (%s, %s, %s, %s, 'sim', 'dispatched') RETURNING id",
            (clinic["id"], row["id"], row["next_number"], row["phone"])).fetchone()
        conn.commit()
    return int(attempt["id"]), row["full_name"].split()[0]


def place_simulated_call(attempt_id: int, far_end_for: Callable[[str], FarEnd]) -> SimResult:
    """Run the agent job for `attempt_id` against a local LiveKit stand-in whose phone network answers."""
    standin = start_standin(phone_network=ScriptedPhoneNetwork({}, default=ANSWER), ring_scale=0)
    try:
        job = run_sim_job(f"call-{attempt_id}", json.dumps({"attempt_id": attempt_id}), far_end_for,
                          standin.url, standin.api_key, standin.api_secret)
        result = asyncio.run(asyncio.wait_for(job, timeout=120))
    finally:
        standin.stop()
    if result is None:
        raise SystemExit(f"attempt {attempt_id} was not dialable")
    return result


def print_stored_call(attempt_id: int) -> dict[str, Any]:
    """What `python -m dialer calls show ATTEMPT_ID` prints: read back from Postgres, the source of truth."""
    with connect() as conn:
        row = conn.execute("SELECT c.outcome, c.summary, c.transcript, a.status FROM call_attempts c"
                           " JOIN appointments a ON a.id = c.appointment_id WHERE c.id = %s",
                           (attempt_id,)).fetchone()
    assert row is not None
    print(f"attempt {attempt_id}: outcome {row['outcome']}, appointment now {row['status']}")
    print(f"summary: {row['summary']}")
    for item in transcript_items(row["transcript"]):
        print(render_item(item))
    return row


def main(argv: list[str]) -> int:
    external_id = argv[0] if argv else "SFM-1005"
    persona = argv[1] if len(argv) > 1 else "confirmer"
    set_clock(FixedClock(NOW))
    attempt_id, first_name = prepare_attempt(external_id)
    place_simulated_call(attempt_id, lambda phone: make_far_end(persona, phone=phone, first_name=first_name,
                                                                 use_llm=False))
    print_stored_call(attempt_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
