"""The pick-up ("hello?", "yeah, hello?") is not the answer to the greeting's "am I speaking with Jordan?",
even when speech-to-text lags and its transcript lands after the greeting started (a real call on a loaded
machine read a pick-up "Yeah, hello." as "yes, this is Jordan" and went on to the appointment)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from livekit.agents import StopResponse, llm

from agent.call_context import CallInfo
from agent.confirmation_agent import ConfirmationAgent
from clinic.appointments.models import Appointment, Clinic


def _agent() -> tuple[ConfirmationAgent, list[str]]:
    call = CallInfo(attempt_id=1, attempt_number=1, mode="sip", phone="+15555550100",
                    clinic=Clinic(id=1, slug="maple", name="Maple Clinic", timezone="America/New_York"),
                    appointment=Appointment(id=1, clinic_id=1, external_id="A1", patient_id=1,
                                            starts_at=datetime(2027, 1, 1, 15, tzinfo=UTC)),
                    patient_full_name="Jordan Rivera")
    agent = ConfirmationAgent(call, greet=False)
    picked: list[str] = []
    agent.on_pickup = picked.append
    return agent, picked


def _turn(text: str, stopped: float | None) -> llm.ChatMessage:
    metrics: llm.MetricsReport = {"started_speaking_at": stopped - 1.0, "stopped_speaking_at": stopped} \
        if stopped is not None else {}
    return llm.ChatMessage(role="user", content=[text], metrics=metrics)


async def test_words_finished_before_the_greeting_get_no_reply_and_stay_on_the_record() -> None:
    agent, picked = _agent()
    agent.first_spoke_at = 1000.0
    with pytest.raises(StopResponse):
        await agent.on_user_turn_completed(llm.ChatContext(), _turn("Yeah, hello.", stopped=999.2))
    assert picked == ["Yeah, hello."]


async def test_words_before_the_agent_ever_spoke_are_the_pick_up() -> None:
    agent, picked = _agent()
    with pytest.raises(StopResponse):
        await agent.on_user_turn_completed(llm.ChatContext(), _turn("Hello?", stopped=999.2))
    assert picked == ["Hello?"]


async def test_an_answer_after_the_greeting_started_is_answered() -> None:
    agent, picked = _agent()
    agent.first_spoke_at = 1000.0
    await agent.on_user_turn_completed(llm.ChatContext(), _turn("yes this is me", stopped=1006.0))
    assert picked == []


async def test_typed_turns_carry_no_speech_times_and_are_never_a_pick_up() -> None:
    agent, picked = _agent()
    await agent.on_user_turn_completed(llm.ChatContext(), _turn("hello", stopped=None))
    assert picked == []
