"""The scripted policy's dialogue state is a typed value on the call's state (`CallState.dialogue`), moved by
its replies and by the tools that open a question; it never looks its own sentences up."""

from __future__ import annotations

import contextvars
import json

from livekit.agents import llm

from agent.call_state import CallState, Dialogue, bind_current
from agent.scripted_llm import ReceptionistPolicy


def test_re_asks_count_and_other_replies_reset_them():
    d = Dialogue()
    d.said("offer", 1)
    d.said("clarify", 2)
    d.said("clarify", 3)
    assert (d.stage, d.unclear_streak) == ("offer", 2)   # a re-ask asks the same question: the stage stays
    d.said("filler", 4)                       # a filler asks nothing
    assert (d.stage, d.unclear_streak, d.agent_turns) == ("offer", 2, 4)
    d.said("silence", 5)
    assert (d.unclear_streak, d.silence_streak) == (2, 1)
    d.said("ask_preference", 6)               # an answer that moved on: both counts start again
    assert (d.unclear_streak, d.silence_streak) == (0, 0)
    d.said("silence", 7)
    d.opened("offer")
    assert (d.stage, d.set_by, d.silence_streak) == ("offer", "tool", 0)


def _ctx(agent_line: str, patient: str) -> llm.ChatContext:
    ctx = llm.ChatContext.empty()
    ctx.add_message(role="assistant", content="Hello! Am I speaking with Maria?")
    ctx.items.append(llm.FunctionCall(call_id="c1", name="confirm_identity", arguments="{}"))
    ctx.items.append(llm.FunctionCallOutput(call_id="c1", name="confirm_identity", is_error=False, output=json.dumps(
        {"appointment": "Wednesday, March 4th at 9:15 in the morning with Dr. Patel"})))
    ctx.add_message(role="assistant", content=agent_line)
    ctx.add_message(role="user", content=patient)
    return ctx


def _decide(stage: str, set_by: str, agent_line: str, patient: str) -> tuple[str | None, str]:
    state = CallState(identity_confirmed=True)
    state.dialogue.stage, state.dialogue.set_by, state.dialogue.agent_turns = stage, set_by, 2  # type: ignore

    def run() -> tuple[str | None, str]:
        bind_current(state)
        policy = ReceptionistPolicy(first_name="Maria", clinic_name="Sunrise Family Medicine", seed=1)
        reply = policy.decide(_ctx(agent_line, patient))
        return reply.tool, reply.text

    return contextvars.copy_context().run(run)


def test_the_same_words_mean_what_the_state_says():
    line = "Words this policy never said."
    assert _decide("cancel_check", "policy", line, "yes")[0] == "cancel_appointment"
    assert _decide("ask_appointment", "policy", line, "yes")[0] == "confirm_appointment"
    assert _decide("rebook_offer", "policy", line, "yes")[0] is None        # asks for a day instead


def test_after_a_model_s_own_question_a_bare_yes_is_asked_again():
    # The tool opened the appointment question and the model has since said two things (one of them a
    # question the policy cannot know): "yes" is not taken as confirming.
    state_line = "Can you make it?"
    tool, _ = _decide("ask_appointment", "tool", state_line, "yes")
    assert tool == "confirm_appointment"                                     # one message after the tool: fine
    ctx = _ctx(state_line, "I need to cancel")
    ctx.add_message(role="assistant", content="Just to be sure, you want to cancel?")
    ctx.add_message(role="user", content="yes please")
    state = CallState(identity_confirmed=True)
    state.dialogue.opened("ask_appointment")

    def run() -> tuple[str | None, str]:
        bind_current(state)
        reply = ReceptionistPolicy(first_name="Maria", clinic_name="Sunrise", seed=1).decide(ctx)
        return reply.tool, reply.text

    tool, text = contextvars.copy_context().run(run)
    assert tool is None and "press 1" in text


def test_a_re_ask_after_silence_is_not_the_greeting_s_question_word_for_word():
    """A listener hears the agent repeat itself: after the greeting's "Am I speaking with Maria?" and two
    silences, each re-ask is worded differently."""
    from agent.scripted_llm import _sentence_keys

    def run() -> list[str]:
        bind_current(CallState())
        policy = ReceptionistPolicy(first_name="Maria", clinic_name="Sunrise Family Medicine", seed=1)
        ctx = llm.ChatContext.empty()
        ctx.add_message(role="assistant", content="Good morning! This is the automated assistant calling for Sunrise "
                                                  "Family Medicine about an upcoming appointment. Am I speaking with "
                                                  "Maria?")
        lines = []
        for _ in range(2):
            ctx.add_message(role="user", content="[silence]")
            reply = policy.decide(ctx)
            assert reply.text is not None
            policy.note(reply.kind, ctx)
            ctx.add_message(role="assistant", content=reply.text)
            lines.append(reply.text)
        return lines

    lines = contextvars.copy_context().run(run)
    greeting = _sentence_keys("Am I speaking with Maria?")
    assert not greeting & _sentence_keys(lines[0]) and not greeting & _sentence_keys(lines[1]), lines
    assert not _sentence_keys(lines[0]) & _sentence_keys(lines[1]), lines
    assert all("maria" in line.lower() for line in lines)


def test_a_pick_after_a_silence_re_ask_books_the_offered_time():
    """Times on offer, the patient slow to answer: the agent re-asks, then "let's do the first one" books the
    first time (it confirmed the old appointment when the re-ask had replaced the offer as the stage)."""
    state = CallState(identity_confirmed=True)

    def run() -> tuple[str | None, dict]:
        bind_current(state)
        policy = ReceptionistPolicy(first_name="Maria", clinic_name="Sunrise Family Medicine", seed=1)
        ctx = llm.ChatContext.empty()
        ctx.add_message(role="assistant", content="Hello! Am I speaking with Maria?")
        ctx.items.append(llm.FunctionCall(call_id="c1", name="confirm_identity", arguments="{}"))
        ctx.items.append(llm.FunctionCallOutput(call_id="c1", name="confirm_identity", is_error=False,
                                                output=json.dumps({"appointment": "Wednesday at 9:15"})))
        ctx.items.append(llm.FunctionCall(call_id="c2", name="find_available_slots", arguments="{}"))
        ctx.items.append(llm.FunctionCallOutput(call_id="c2", name="find_available_slots", is_error=False,
                                                output=json.dumps({"options": [
                                                    {"option": 1, "time": "Monday the 7th at 9 in the morning"},
                                                    {"option": 2, "time": "Tuesday the 8th at 2 in the afternoon"}]})))
        state.dialogue.opened("offer")
        policy.note("offer", ctx)         # the policy offered the times
        ctx.add_message(role="assistant", content="I have Monday the 7th at 9 in the morning or Tuesday the 8th at "
                                                  "2 in the afternoon. Which works best for you?")
        ctx.add_message(role="user", content="[silence]")
        reask = policy.decide(ctx)
        policy.note(reask.kind, ctx)
        ctx.add_message(role="assistant", content=reask.text or "")
        ctx.add_message(role="user", content="let's do the first one")
        reply = policy.decide(ctx)
        return reply.tool, reply.args

    tool, args = contextvars.copy_context().run(run)
    assert (tool, args) == ("book_slot", {"option": 1})
