"""Personas: they read the agent, answer toward their goal, vary their phrasing, and are reproducible."""

from __future__ import annotations

import pytest

from sim import personas
from sim.personas import DEFAULT_MIX, PERSONAS, line_for, make_far_end, read_agent

GREETING = ("Good morning! This is the automated assistant for Sunrise Family Medicine, calling about an "
            "appointment. Am I speaking with Maria?")
STATEMENT = ("Thanks, Maria. You have an appointment on Tuesday, March 2nd at 9:15 in the morning with Dr. Patel "
             "at the Main Street office. Can you make it?")
OFFER = "Sure. I have Thursday, March 4th at 10:00 AM, or Friday, March 5th at 2:30 PM. Which works better?"
BOOKED = "Done — you're all set for Thursday, March 4th at 10 in the morning. Anything else?"
PARKING = "There's free parking in the lot behind the building. Does the appointment still work for you?"
CANCEL_CHECK = "Just to check, you'd like to cancel your appointment on Tuesday?"
REBOOK = "I've cancelled it. Would you like to book a new time instead?"
BYE = "Okay. Thanks for your time, have a great day. Goodbye!"


def scripted(persona: str, seed: int = 1, phone: str = "+12125550143"):
    return make_far_end(persona, seed=seed, phone=phone, first_name="Maria", use_llm=False)


def test_read_agent_cues() -> None:
    assert "identity_question" in read_agent(GREETING)
    assert "appointment_statement" not in read_agent(GREETING)
    assert "good morning" in GREETING.lower()  # "morning" alone is not a time
    s = read_agent(STATEMENT)
    assert "appointment_statement" in s and "slot_offer" not in s and "asks_confirm" in s
    assert "slot_offer" in read_agent(OFFER)
    assert "booked" in read_agent(BOOKED) and "slot_offer" not in read_agent(BOOKED)
    assert "cancel_check" in read_agent(CANCEL_CHECK)
    assert "rebook_offer" in read_agent(REBOOK)
    assert "goodbye" in read_agent(BYE)
    assert "slot_offer" in read_agent("how about wednesday at 3 pm or thursday at 11 am")


def test_confirmer_confirms_after_identity() -> None:
    p = scripted("confirmer")
    assert p.kind == "person" and p.first_words().text
    ident = p.reply(GREETING).text.lower()
    assert any(w in ident for w in ("yes", "speaking", "me", "yep", "mm-hmm", "it is"))
    ans = p.reply(STATEMENT).text.lower()
    assert any(w in ans for w in ("yes", "yeah", "yep", "sure", "fine", "absolutely", "works"))
    assert p.reply(BYE).text
    assert p.reply("Bye now.").hang_up


def test_rescheduler_asks_to_move_then_picks_a_slot() -> None:
    p = scripted("rescheduler")
    p.reply(GREETING)
    assert "next week" in p.reply(STATEMENT).text.lower()
    pick = p.reply(OFFER).text.lower()
    assert "first" in pick or "second" in pick
    assert p.reply(BOOKED).text in personas.PHRASES["no_more"]  # "anything else?" -> no


def test_canceller_cancels_and_declines_rebooking() -> None:
    p = scripted("canceller")
    p.reply(GREETING)
    assert "cancel" in p.reply(STATEMENT).text.lower()
    check = p.reply(CANCEL_CHECK).text.lower()
    assert "yes" in check or "yep" in check
    rebook = p.reply(REBOOK).text.lower()
    assert any(w in rebook for w in ("no", "nah", "not"))


def test_question_then_confirm_asks_first() -> None:
    p = scripted("question_then_confirm")
    p.reply(GREETING)
    q = p.reply(STATEMENT).text.lower()
    assert "park" in q or "bring" in q
    c = p.reply(PARKING).text.lower()
    assert "yes" in c or "yeah" in c


@pytest.mark.parametrize(("persona", "words"), [
    ("not_patient", ("husband", "son", "daughter", "mother", "roommate", "wife")),
    ("wrong_number", ("wrong number", "nobody", "no one", "don't know")),
])
def test_wrong_person_answers_identity(persona: str, words: tuple[str, ...]) -> None:
    said = scripted(persona).reply(GREETING).text.lower()
    assert any(w in said for w in words)


@pytest.mark.parametrize(("persona", "words"), [
    ("opt_out", ("stop calling", "off your list", "don't call", "remove me", "don't want")),
    ("human", ("person", "someone", "front desk", "operator", "human")),
    ("callback", ("call me back", "call back")),
])
def test_goal_stated_after_identity(persona: str, words: tuple[str, ...]) -> None:
    p = scripted(persona)
    p.reply(GREETING)
    said = p.reply(STATEMENT).text.lower()
    assert any(w in said for w in words)


def test_hang_up_hangs_up_mid_call() -> None:
    p = scripted("hang_up")
    assert p.reply(GREETING).text
    assert p.reply(STATEMENT).hang_up


@pytest.mark.parametrize(("persona", "digit"), [("keypad_confirmer", "1"), ("keypad_opt_out", "9")])
def test_keypad_personas_say_who_they_are_then_press_their_key(persona: str, digit: str) -> None:
    p = scripted(persona)
    first = p.reply(GREETING)
    assert first.text and not first.dtmf                          # identity first, in words
    assert p.reply(STATEMENT).dtmf == digit
    assert p.reply(STATEMENT).dtmf is None                         # one press, not a key held down


def test_keypad_and_reject_personas_stay_out_of_the_default_mix() -> None:
    assert {"keypad_confirmer", "keypad_opt_out", "rejecter"}.isdisjoint(DEFAULT_MIX)
    assert set(DEFAULT_MIX) < set(PERSONAS)


def test_voicemail_is_a_machine_that_stays_silent() -> None:
    m = scripted("voicemail")
    assert m.kind == "machine"
    assert "beep" in m.first_words().text.lower() or "tone" in m.first_words().text.lower()
    assert m.reply("Hi, this is Sunrise Family Medicine, please call us back at 212 555 0100.").silent


def test_lines() -> None:
    assert line_for("busy", 1) == line_for("busy", 3) == "busy"
    assert line_for("no_answer", 2) == "no_answer"
    assert line_for("busy_then_confirm", 1) == "busy"
    assert line_for("busy_then_confirm", 2) == "person"
    assert line_for("voicemail", 1) == "machine"
    assert line_for("confirmer", 1) == "person"
    assert line_for("rejecter", 1) == line_for("rejecter", 2) == "reject"
    assert line_for("keypad_confirmer", 1) == "person"
    with pytest.raises(ValueError, match="unknown persona 'grumpy'"):
        line_for("grumpy", 1)


def _conversation(persona: str, seed: int, phone: str) -> list[str]:
    p = scripted(persona, seed, phone)
    return [p.first_words().text, *(p.reply(line).text or "<hang up>" for line in (GREETING, STATEMENT, OFFER))]


def test_reproducible_for_a_seed_and_varied_across_numbers() -> None:
    assert _conversation("rescheduler", 7, "+12125550143") == _conversation("rescheduler", 7, "+12125550143")
    variants = {tuple(_conversation("confirmer", seed, "+12125550143")) for seed in range(20)}
    assert len(variants) >= 5
    first_lines = {_conversation("confirmer", 3, f"+1212555{n:04d}")[2] for n in range(40)}
    assert len(first_lines) >= 5
    assert any(line == line.lower() and not line.endswith(".") for line in first_lines)  # ASR-like variants


def test_no_sentence_repeats_within_a_call_when_it_can_help_it() -> None:
    p = scripted("confirmer")
    said = [p.reply(STATEMENT).text for _ in range(5)]
    assert len(set(said)) == 5


def test_patient_gives_up_on_an_endless_call() -> None:
    p = scripted("confirmer")
    turns = [p.reply("Hmm.") for _ in range(personas.MAX_TURNS + 1)]
    assert turns[-1].hang_up


def test_persona_for_number_is_deterministic() -> None:
    a = personas.persona_for_number("+12125550143")
    assert a == personas.persona_for_number("+12125550143") and a in DEFAULT_MIX
    assert len({personas.persona_for_number(f"+1212555{n:04d}") for n in range(200)}) == len(DEFAULT_MIX)


class _FakeCompletions:
    def __init__(self, text: str | None, fail: bool = False) -> None:
        self.text, self.fail, self.calls = text, fail, 0

    def create(self, **kwargs):
        self.calls += 1
        if self.fail:
            raise ConnectionError("unreachable")
        from types import SimpleNamespace as NS

        return NS(choices=[NS(message=NS(content=self.text))])


def _fake_client(completions: _FakeCompletions):
    from types import SimpleNamespace as NS

    return NS(chat=NS(completions=completions))


def test_llm_person_speaks_model_text_and_falls_back_on_errors() -> None:
    from sim.llm_persona import LLMPerson

    spec = PERSONAS["confirmer"]
    ok = LLMPerson(spec, scripted("confirmer"), first_name="Maria", client=_fake_client(_FakeCompletions("yeah sure")))
    ok.first_words()
    assert ok.reply(GREETING).text == "yeah sure"
    hang = LLMPerson(spec, scripted("confirmer"), client=_fake_client(_FakeCompletions("[HANG UP]")))
    assert hang.reply(GREETING).hang_up
    broken = LLMPerson(spec, scripted("confirmer"), client=_fake_client(_FakeCompletions(None, fail=True)))
    assert broken.reply(GREETING).text  # the scripted persona answered instead


def test_expected_results_table() -> None:
    assert PERSONAS["confirmer"].problems("confirmed", ["confirmed"], False) == []
    assert PERSONAS["busy_then_confirm"].problems("confirmed", ["busy", "lost", "confirmed"], False) == []
    assert PERSONAS["busy_then_confirm"].problems("confirmed", ["confirmed"], False)
    assert PERSONAS["busy"].problems("unreachable", ["busy", "busy", "busy"], False) == []
    assert PERSONAS["busy"].problems("unreachable", ["busy"], False) == ["1 attempt(s), expected at least 2"]
    assert PERSONAS["wrong_number"].problems("staff_followup", ["wrong_number"], False) == [
        "number not on the DNC list"]
    assert PERSONAS["voicemail"].problems("unreachable", ["voicemail_left", "no_answer"], False) == []
    assert PERSONAS["voicemail"].problems("unreachable", ["voicemail_left", "voicemail_left"], False)
    assert PERSONAS["callback"].problems("pending", ["callback_requested"], False) == [
        "status pending, expected staff_followup or unreachable"]
