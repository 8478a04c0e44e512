"""Clinic fact answers: whole-word topic matching, and unknown topics answered honestly (never invented)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.call_context import CallInfo
from agent.confirmation_agent import answer_from_facts
from clinic.appointments.models import Appointment, Clinic
from tests.agent.conftest import ScriptedFarEnd, agent_lines

FACTS = {
    "address": "120 Main Street, Suite 4, Springfield",
    "parking": "Free parking in the lot behind the building; enter from Oak Avenue.",
    "what_to_bring": "Your insurance card, a photo ID and a list of the medicines you take.",
    "preparation": "Please arrive 10 minutes early to check in.",
    "wheelchair_access": "There is a ramp at the side entrance.",
}


def _call(facts: dict[str, str] | None = None) -> CallInfo:
    return CallInfo(attempt_id=1, attempt_number=1, mode="sim", phone="+12125550143",
                    clinic=Clinic(id=1, slug="sunrise", name="Sunrise Family Medicine", timezone="America/New_York"),
                    appointment=Appointment(id=1, clinic_id=1, external_id="A1", patient_id=1,
                                            starts_at=datetime(2026, 3, 4, 14, 15, tzinfo=UTC), provider="Dr. Patel",
                                            location="Main Street office"),
                    patient_full_name="Maria Lopez", facts=dict(FACTS if facts is None else facts))


@pytest.mark.parametrize(("question", "topic"), [
    ("where do I park", "parking"),
    ("is there parking", "parking"),
    ("Where can I leave my car?", "parking"),
    ("what should I bring", "what_to_bring"),
    ("Do I need my insurance card?", "what_to_bring"),
    ("how should I prepare", "preparation"),
    ("Should I get there early to check-in?", "preparation"),
    ("what's the address", "address"),
    ("Where are you located?", "address"),
    ("is there wheelchair access", "wheelchair_access"),
])
def test_known_topics_get_the_right_fact(question, topic):
    assert answer_from_facts(question, _call(), identity_confirmed=True) == FACTS[topic]


@pytest.mark.parametrize("question", [
    "Do you take Medicare?",          # "car" inside "Medicare" used to give the parking answer
    "Do you accept my insurance?",
    "Does the doctor speak Portuguese?",
    "Is the carpet new?",
    "thanks a lot, do you do flu shots",
    "Can I get a prescription refill?",
])
def test_unknown_topics_are_not_answered(question):
    assert answer_from_facts(question, _call(), identity_confirmed=True) is None


def test_topic_without_a_stored_fact_is_unknown():
    assert answer_from_facts("where do I park", _call({"address": FACTS["address"]}), True) is None


def test_appointment_details_only_after_identity():
    assert "Dr. Patel" in (answer_from_facts("when is my appointment", _call(), identity_confirmed=True) or "")
    assert answer_from_facts("when is my appointment", _call(), identity_confirmed=False) is None


def test_medicare_question_in_a_call_offers_transfer_or_callback(world, run_call):
    result = run_call(ScriptedFarEnd(["yes", "Do you take Medicare?", "no thanks", "yes I'll be there"]))
    text = " ".join(agent_lines(result))
    assert "Oak Avenue" not in text
    assert "don't have that information" in text
    assert "front desk" in text and "call you back" in text
    assert result.outcome == "confirmed"
