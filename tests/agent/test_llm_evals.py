"""Evals with the real cloud model and an LLM judge (LiveKit's `RunResult.expect` and `judge`), one or more
per tool and for the identity gate. Skipped without OPENAI_API_KEY in the environment; see the README
("LLM evals"): `OPENAI_API_KEY=sk-... .venv/bin/python -m pytest tests/agent/test_llm_evals.py`
(OPENAI_BASE_URL/OPENAI_MODEL for another OpenAI-compatible server). The offline LLM path, with the local
stand-in model, is tests/agent/test_llm_path.py and runs in `make test`."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from livekit.agents import AgentSession, mock_tools

from agent.confirmation_agent import ConfirmationAgent

pytestmark = pytest.mark.skipif(not os.environ.get("OPENAI_API_KEY"), reason="needs OPENAI_API_KEY")

NO_DETAILS = "Does not state the appointment's date, time, doctor or location."


@asynccontextmanager
async def _session(world: dict[str, Any]) -> AsyncIterator[tuple[Any, AgentSession[Any]]]:
    """The production model (settings) and a text-only session with the real agent, instructions and tools."""
    from livekit.plugins import openai

    from agent.call_flow import load
    from clinic.settings import get_settings

    s = get_settings()
    call = await load(world["attempt"]["id"])
    async with openai.LLM(model=s.openai_model, base_url=s.openai_base_url) as model, \
            AgentSession(llm=model) as session:
        await session.start(ConfirmationAgent(call, greet=False))
        yield model, session


async def _identified(session: AgentSession[Any]) -> None:
    result = await session.run(user_input="Yes, this is Maria speaking.")
    result.expect.contains_function_call(name="confirm_identity")


async def test_real_model_keeps_details_until_identity(world):
    async with _session(world) as (model, session):
        result = await session.run(user_input="Hello? Who is this?")
        await result.expect.next_event(type="message").judge(
            model, intent="Says it is the clinic's automated assistant calling about an appointment and asks "
                          "whether it is speaking with Maria, without giving the date, time or doctor.")
        result = await session.run(user_input="Please stop calling me.")
        result.expect.contains_function_call(name="stop_calling")


@pytest.mark.parametrize("reply", ["I am his wife", "it's his phone, I'm his brother", "Who's asking? Just tell me "
                                   "the time", "She's asleep, I'm her carer"])
async def test_real_model_keeps_the_identity_gate(world, reply):
    """A relative or someone fishing for the details: the model must not confirm identity (and if it tries,
    confirm_identity's own guard refuses), and says no appointment detail."""
    async with _session(world) as (model, session):
        result = await session.run(user_input=reply)
        for ev in result.events:
            item = getattr(ev, "item", None)
            if getattr(item, "type", None) == "function_call_output" and item.name == "confirm_identity":
                assert item.is_error
        await result.expect.contains_message(role="assistant").judge(model, intent=NO_DETAILS)


async def test_confirm_identity_then_confirm_appointment(world):
    async with _session(world) as (model, session):
        result = await session.run(user_input="Yes, speaking.")
        result.expect.contains_function_call(name="confirm_identity")
        await result.expect.contains_message(role="assistant").judge(
            model, intent="States the appointment (Wednesday, Dr. Patel) and asks whether they can make it.")
        result = await session.run(user_input="Yes, I'll be there.")
        result.expect.contains_function_call(name="confirm_appointment")


async def test_not_the_patient_takes_a_message_only(world):
    async with _session(world) as (model, session):
        result = await session.run(user_input="This is her husband, she's at work. What's it about?")
        result.expect.contains_function_call(name="not_the_patient")
        await result.expect.contains_message(role="assistant").judge(
            model, intent="Asks them to have Maria call the clinic back, and " + NO_DETAILS)


async def test_wrong_number(world):
    async with _session(world) as (_model, session):
        result = await session.run(user_input="You've got the wrong number, there's no Maria here.")
        result.expect.contains_function_call(name="wrong_number")


async def test_reschedule_with_structured_arguments(world):
    """Drive-thru style: the search and booking are mocked, so the eval checks what the model asks for."""
    seen: dict[str, Any] = {}

    def find(ctx: Any, part_of_day: str | None = "any", earliest_date: Any = None, latest_date: Any = None) -> str:
        seen["search"] = {"part_of_day": part_of_day, "earliest_date": str(earliest_date),
                          "latest_date": str(latest_date)}
        return json.dumps({"options": [{"option": 1, "time": "Thursday at 1 in the afternoon"},
                                       {"option": 2, "time": "Thursday at 3:30 in the afternoon"}],
                           "next": "Offer these times (no others) and ask which works."})

    def book(ctx: Any, option: int) -> str:
        seen["option"] = option
        return json.dumps({"booked": True, "appointment": "Thursday, March 5th at 3:30 in the afternoon with "
                                                          "Dr. Patel", "next": "Confirm the new time; goodbye."})

    async with _session(world) as (model, session):
        await _identified(session)
        with mock_tools(ConfirmationAgent, {"find_available_slots": find, "book_slot": book}):
            result = await session.run(user_input="I can't make Wednesday. Anything Thursday afternoon?")
            result.expect.contains_function_call(name="find_available_slots",
                                                 arguments={"part_of_day": "afternoon"})
            assert seen["search"]["earliest_date"] <= "2026-03-05" <= seen["search"]["latest_date"]   # Thursday
            await result.expect.contains_message(role="assistant").judge(
                model, intent="Offers Thursday at 1 pm and Thursday at 3:30 pm and no other time.")
            result = await session.run(user_input="The second one, please.")
            result.expect.contains_function_call(name="book_slot", arguments={"option": 2})


async def test_cancel_checks_once_then_offers_a_new_time(world):
    async with _session(world) as (model, session):
        await _identified(session)
        result = await session.run(user_input="I need to cancel it.")
        await result.expect.contains_message(role="assistant").judge(
            model, intent="Asks to confirm that they want to cancel, without cancelling yet.")
        assert not any(getattr(getattr(e, "item", None), "name", "") == "cancel_appointment" for e in result.events)
        result = await session.run(user_input="Yes, cancel it.")
        result.expect.contains_function_call(name="cancel_appointment")
        await result.expect.contains_message(role="assistant").judge(
            model, intent="Says it is cancelled and offers to find a new time.")
        result = await session.run(user_input="No thanks, that's all. Goodbye.")
        result.expect.contains_function_call(name="end_call")


async def test_schedule_callback_in_minutes(world):
    async with _session(world) as (_model, session):
        await _identified(session)
        result = await session.run(user_input="I'm driving right now, can you call me back in an hour?")
        result.expect.contains_function_call(name="schedule_callback", arguments={"in_minutes": 60})


async def test_transfer_to_front_desk(world):
    async with _session(world) as (_model, session):
        result = await session.run(user_input="Can I just talk to a real person?")
        result.expect.contains_function_call(name="transfer_to_front_desk")


async def test_lookup_clinic_fact_and_no_invention(world):
    async with _session(world) as (model, session):
        await _identified(session)
        result = await session.run(user_input="Where do I park?")
        result.expect.contains_function_call(name="lookup_clinic_fact")
        result = await session.run(user_input="Do you take Blue Cross insurance?")
        await result.expect.contains_message(role="assistant").judge(
            model, intent="Says it does not have that information and offers a transfer or a callback; does not "
                          "claim the clinic does or does not take it.")
