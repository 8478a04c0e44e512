"""A custom clinic fact sheet: what the agent may tell a patient, and nothing else.

    python examples/clinic_fact_sheet.py

The agent answers questions only from the clinic row's address, parking, what_to_bring, preparation
and extra_facts (loaded with the call, never from the model's own knowledge). A question the sheet does
not answer gets "I don't have that information" and an offer to transfer or call back.
Reads DATABASE_URL from the settings (.env or the environment)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from psycopg.types.json import Jsonb

from agent.call_context import load_call
from agent.confirmation_agent import answer_from_facts
from clinic.db import connect
from sim.seed import ensure_sample_clinic

FACT_SHEET = {
    "address": "455 Harbor Road, second floor, Springfield",
    "parking": "Use the Harbor Road garage, level 2; bring your ticket to the desk for validation.",
    "what_to_bring": "Your insurance card, a photo ID, and your glasses if you wear them.",
    "preparation": "Nothing to eat for 8 hours before a fasting blood test; water is fine.",
    "extra_facts": {"wheelchair access": "There is a ramp and an elevator at the Harbor Road entrance.",
                    "interpreter": "Spanish and Mandarin interpreters are available if you ask the desk."},
}
QUESTIONS = (
    "Where are you located?",
    "Is there parking?",
    "What should I bring?",
    "Can I eat before I come in?",
    "Do you have wheelchair access?",
    "Can I get an interpreter?",
    "Do you accept my insurance plan?",  # not on the sheet: the agent must not guess
)


def set_fact_sheet(conn: Any, clinic_id: int, sheet: dict[str, Any]) -> None:
    conn.execute("UPDATE clinics SET address = %s, parking = %s, what_to_bring = %s, preparation = %s,"
                 " extra_facts = %s, updated_at = now() WHERE id = %s",
                 (sheet["address"], sheet["parking"], sheet["what_to_bring"], sheet["preparation"],
                  Jsonb(sheet["extra_facts"]), clinic_id))


def an_attempt(conn: Any, clinic: dict[str, Any]) -> int:
    """A call attempt to load the call as the agent does (the dialer's planner creates these)."""
    patient = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, 'Dana Fox', '+12125550177')"
                           " ON CONFLICT (clinic_id, phone, lower(full_name)) DO UPDATE SET updated_at = now()"
                           " RETURNING id", (clinic["id"],)).fetchone()
    appointment = conn.execute(
        "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, provider)"
        " VALUES (%s, 'FACTS-1', %s, %s, 'Dr. Patel') ON CONFLICT (clinic_id, external_id)"
        " DO UPDATE SET updated_at = now() RETURNING id",
        (clinic["id"], patient["id"], datetime(2027, 1, 13, 15, 0, tzinfo=UTC))).fetchone()
    conn.execute("UPDATE call_attempts SET status = 'ended', outcome = 'lost' WHERE appointment_id = %s"
                 " AND outcome IS NULL", (appointment["id"],))
    number = conn.execute("SELECT coalesce(max(attempt_number), 0) + 1 AS n FROM call_attempts"
                          " WHERE appointment_id = %s", (appointment["id"],)).fetchone()["n"]
    row = conn.execute("INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, mode)"
                       " VALUES (%s, %s, %s, '+12125550177', 'sim') RETURNING id",
                       (clinic["id"], appointment["id"], number)).fetchone()
    return int(row["id"])


def main() -> int:
    with connect() as conn:
        clinic = ensure_sample_clinic(conn, date(2027, 1, 11))
        set_fact_sheet(conn, clinic["id"], FACT_SHEET)
        attempt_id = an_attempt(conn, clinic)
        conn.commit()
        call = load_call(conn, attempt_id)
    print(f"fact sheet of {call.clinic_name}: {', '.join(sorted(call.facts))}")
    for question in QUESTIONS:
        answer = answer_from_facts(question, call, identity_confirmed=True)
        unknown = "(not on the sheet: the agent says it does not know and offers the desk)"
        print(f"Q: {question}\nA: {answer or unknown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
