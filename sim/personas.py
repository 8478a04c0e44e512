"""Simulated patients: who picks up the phone, what they want, and how they say it.

Each persona is a `FarEnd` (agent/far_end.py) that listens to what the agent says, reads it the way a
person would (is it asking who I am? stating my appointment? offering times? saying goodbye?) and answers
toward its own goal, in varied phrasing chosen by a seeded RNG — several ways to say each thing, some of
them lowercase and unpunctuated the way speech-to-text delivers them. The same seed, phone number and call
number always produce the same conversation, so runs are reproducible; different numbers sound different.

When `OPENAI_API_KEY` is set, `make_far_end(..., use_llm=True)` lets an OpenAI-compatible model play the
persona instead (falling back to the scripted one on any error), for a less predictable rehearsal.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from agent.far_end import FarEnd, Turn

Line = Literal["person", "machine", "busy", "no_answer", "reject"]
# How a person persona speaks over audio (text mode has no timing, so there they all read alike):
# patient = waits for the agent to finish; barge_in = cuts in once mid-sentence when it has heard enough;
# silent = picks up without a word and waits for the caller to speak; mumble = quiet, over line noise.
Delivery = Literal["patient", "barge_in", "silent", "mumble"]

# --------------------------------------------------------------------------------------------------------
# The persona table: the behaviour at the line and the result the system must reach with default settings.


@dataclass(frozen=True)
class PersonaSpec:
    """A persona and what the system must make of it with default settings (guardrails: one call per number
    per day; retry policy: clinic/retry_policy.py). `outcome` is the persona's defining call outcome."""

    name: str
    description: str
    outcome: str
    statuses: frozenset[str]                 # acceptable final appointment statuses
    exact_outcomes: tuple[str, ...] | None = None   # the attempts' outcomes, in order (lost ones ignored)
    repeats: bool = False                    # may be retried: every attempt ends in `outcome`
    min_attempts: int = 1
    on_dnc: bool = False                     # the number must end on the clinic's DNC list
    in_default_mix: bool = True              # chosen for numbers without a persona (persona_for_number)
    delivery: Delivery = "patient"           # how it speaks over audio (sim/sip_phone/brain.FarEndBrain)

    def problems(self, status: str, outcomes: list[str], on_dnc: bool) -> list[str]:
        """Why a finished appointment does not match this persona (empty = it matches)."""
        real = [o for o in outcomes if o != "lost"]
        out: list[str] = []
        if status not in self.statuses:
            out.append(f"status {status}, expected {' or '.join(sorted(self.statuses))}")
        if self.exact_outcomes is not None and tuple(real) != self.exact_outcomes:
            out.append(f"attempt outcomes {real}, expected {list(self.exact_outcomes)}")
        if self.repeats and (not real or any(o != self.outcome for o in real)):
            out.append(f"attempt outcomes {real}, expected {self.outcome} on every attempt")
        if len(real) < self.min_attempts:
            out.append(f"{len(real)} attempt(s), expected at least {self.min_attempts}")
        if self.name == "voicemail" and (not real or real[0] != "voicemail_left" or real.count("voicemail_left") > 1):
            out.append(f"attempt outcomes {real}, expected one voicemail_left (on the first attempt) and no second")
        if self.on_dnc and not on_dnc:
            out.append("number not on the DNC list")
        return out


_SETTLED = frozenset({"unreachable", "staff_followup"})
PERSONAS: dict[str, PersonaSpec] = {s.name: s for s in (
    PersonaSpec("confirmer", "answers, is the patient, confirms", "confirmed", frozenset({"confirmed"}),
                ("confirmed",)),
    PersonaSpec("rescheduler", "asks for another day/time, accepts an offered slot", "rescheduled",
                frozenset({"rescheduled"}), ("rescheduled",)),
    PersonaSpec("canceller", "cancels, declines rebooking", "cancelled", frozenset({"cancelled"}), ("cancelled",)),
    PersonaSpec("question_then_confirm", "asks where to park / what to bring, then confirms", "confirmed",
                frozenset({"confirmed"}), ("confirmed",)),
    PersonaSpec("not_patient", "a family member answers", "not_patient", _SETTLED, repeats=True),
    PersonaSpec("wrong_number", "nobody by that name", "wrong_number", frozenset({"staff_followup"}),
                ("wrong_number",), on_dnc=True),
    PersonaSpec("opt_out", "asks not to be called again", "opted_out", frozenset({"staff_followup"}), ("opted_out",),
                on_dnc=True),
    PersonaSpec("human", "asks for a person", "transferred", frozenset({"staff_followup"}), ("transferred",)),
    PersonaSpec("callback", "asks to be called back later", "callback_requested", _SETTLED, repeats=True),
    PersonaSpec("voicemail", "an answering machine", "voicemail_left", _SETTLED),
    PersonaSpec("busy", "always busy", "busy", frozenset({"unreachable"}), repeats=True, min_attempts=2),
    PersonaSpec("no_answer", "rings out", "no_answer", frozenset({"unreachable"}), repeats=True, min_attempts=2),
    PersonaSpec("busy_then_confirm", "busy on the first try, confirms on the retry", "confirmed",
                frozenset({"confirmed"}), ("busy", "confirmed")),
    PersonaSpec("hang_up", "hangs up mid-call", "hung_up", _SETTLED, repeats=True),
    # Named in a call list's persona column only: the keypad and the SIP reject exercise paths of the real
    # phone network (RFC 2833 digits, 603 Decline) and keep the default mix, and so every sim figure, as it was.
    PersonaSpec("keypad_confirmer", "answers, is the patient, presses 1 to confirm", "confirmed",
                frozenset({"confirmed"}), ("confirmed",), in_default_mix=False),
    PersonaSpec("keypad_opt_out", "answers, is the patient, presses 9 to stop the calls", "opted_out",
                frozenset({"staff_followup"}), ("opted_out",), on_dnc=True, in_default_mix=False),
    PersonaSpec("rejecter", "declines the call (603)", "rejected", frozenset({"unreachable"}), repeats=True,
                min_attempts=2, in_default_mix=False),
    # Delivery variants for the spoken personas: the same goals, spoken differently over SIP.
    PersonaSpec("interrupter", "a rescheduler who cuts in mid-sentence", "rescheduled",
                frozenset({"rescheduled"}), ("rescheduled",), in_default_mix=False, delivery="barge_in"),
    PersonaSpec("silent_confirmer", "picks up without a word, then confirms when asked", "confirmed",
                frozenset({"confirmed"}), ("confirmed",), in_default_mix=False, delivery="silent"),
    PersonaSpec("mumbler", "confirms, quietly over a noisy line", "confirmed", frozenset({"confirmed"}),
                ("confirmed",), in_default_mix=False, delivery="mumble"),
)}
DEFAULT_MIX: tuple[str, ...] = tuple(sorted(n for n, s in PERSONAS.items() if s.in_default_mix))


def line_for(persona: str, call_number: int) -> Line:
    """What happens when the number is dialed for the `call_number`-th time (1-based)."""
    spec = get_spec(persona)
    if spec.name == "busy":
        return "busy"
    if spec.name == "no_answer":
        return "no_answer"
    if spec.name == "busy_then_confirm" and call_number <= 1:
        return "busy"
    if spec.name == "voicemail":
        return "machine"
    if spec.name == "rejecter":
        return "reject"
    return "person"


def get_spec(persona: str) -> PersonaSpec:
    try:
        return PERSONAS[persona]
    except KeyError:
        raise ValueError(f"unknown persona {persona!r}; known: {', '.join(sorted(PERSONAS))}") from None


# --------------------------------------------------------------------------------------------------------
# Reading the agent: what kind of thing did it just say? A person hears several things at once
# ("Got it. I have Tuesday at 9 or Wednesday at 2 — which works?"), so this returns a set of cues.

_WEEKDAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today)"
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december)"
_TIME = (r"(\b\d{1,2}(:\d{2})?\s*(a\.?m\.?|p\.?m\.?)|\b\d{1,2}:\d{2}\b|\bnoon\b|o'clock"
         r"|\b(in the (morning|afternoon|evening))\b|\b\d{1,2}(st|nd|rd|th)\b)")

_CUES: dict[str, re.Pattern[str]] = {
    "identity_question": re.compile(
        r"(am i (speaking|talking) (with|to)|is this\b|are you\b|may i (speak|talk) (with|to)|"
        r"can i (speak|talk) (with|to)|could i (speak|talk) (with|to)|i'?m (looking for|trying to reach)|"
        r"is .{1,40} (available|there|home)|speaking with|does .{1,30} (use|have|own) this (number|phone))"),
    "day_or_time": re.compile(rf"\b{_WEEKDAY}\b|\b{_MONTH}\b|{_TIME}"),
    "appointment": re.compile(r"\b(appointment|visit|booked|scheduled|see (dr|doctor))"),
    "asks_confirm": re.compile(
        r"(can you (still )?make it|will you be able|are you (still )?(able|coming|planning)|"
        r"(still )?work(s)? for you|would you like to confirm|can (i|we) confirm|shall i confirm|"
        r"confirm (it|that|your|the)|keep (it|that|the appointment)|does that (still )?work|"
        r"still good|will you be there|see you then\?)"),
    "offers_slots": re.compile(
        r"(i have|i've got|i can offer|there'?s an? (opening|slot)|we have|how about|would .{0,40} work|"
        r"\boptions?\b|openings?|available|which (one|of those|works|would)|earliest)"),
    "asks_preference": re.compile(
        r"(what (day|time|days|times)|which day|when would (you like|work|be better)|"
        r"do you have a (preferred|preference)|any (day|time) (that )?(works|better)|preference|prefer)"),
    "booked": re.compile(
        r"(you'?re (all )?set|i'?ve (moved|booked|rescheduled|changed)|(is|are) now (booked|scheduled)|"
        r"(moved|rescheduled|booked) (you|it|your)|all done|done\b.*\bbooked)"),
    "cancel_check": re.compile(
        r"(sure you (want|'d like) to cancel|want me to cancel|should i cancel|you'?d like to cancel|"
        r"cancel (it|that|the appointment)\?|confirm(ing)? (the )?cancel|just to (check|confirm|make sure))"),
    "cancelled": re.compile(r"(i'?ve cancell?ed|has been cancell?ed|is (now )?cancell?ed|cancell?ed (it|that|your))"),
    "rebook_offer": re.compile(
        r"(rebook|re-book|book (you )?(a new|another)|new (time|appointment|date)|find (you )?another|"
        r"schedule (a new|another)|would you like to reschedule|want to reschedule)"),
    "anything_else": re.compile(r"(anything else|something else|else i can help|any other questions)"),
    "goodbye": re.compile(r"\b(goodbye|good bye|bye|have a (great|good|nice|wonderful)|take care)\b"),
    "leave_message": re.compile(
        r"(leave (a|her|him|them) (message|note)|pass (along|on) (a|the) message|let (her|him|them) know|"
        r"ask (her|him|them) to (call|give)|have (her|him|them) call)"),
    "asks_callback_time": re.compile(
        r"(when (would be|is) a (good|better) time|what time (should|would|can|works)|when should (we|i) call|"
        r"when can (we|i) (call|reach)|best time to (call|reach))"),
    "transfer": re.compile(
        r"(transfer|connect(ing)? you|put you through|front desk|someone from (the|our) (office|team))"),
    "callback_noted": re.compile(r"(call you back|we'?ll call|give you a call|reach out)"),
    "opt_out_noted": re.compile(
        r"(won'?t (call|contact)|removed?|do not call|do-not-call|stop calling|off (our|the) list)"),
    "apology": re.compile(r"\b(sorry|apologi[sz]e)\b"),
    "clarify": re.compile(
        r"(didn'?t (quite )?(catch|get|understand)|could you (say|repeat)|say that again|"
        r"not sure i (follow|understood)|can you (repeat|say)|just to be (sure|clear)|could you (tell|let) me)"),
}


def read_agent(text: str) -> frozenset[str]:
    """The cues in one agent utterance.

    `appointment_statement` = an appointment stated with a day or time; `slot_offer` = times offered to
    choose from (two or more days/times joined by "or", or an offer phrase without "appointment")."""
    t = (text or "").lower()
    cues = {name for name, rx in _CUES.items() if rx.search(t)}
    if "appointment" in cues and "day_or_time" in cues:
        cues.add("appointment_statement")
    days = set(re.findall(rf"\b{_WEEKDAY}\b", t))
    clock_times = re.findall(r"\b\d{1,2}(?::\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)|\b\d{1,2}:\d{2}\b|\bnoon\b", t)
    several = len(days) >= 2 or (len(clock_times) >= 2 and re.search(r"\bor\b|,", t) is not None)
    if "booked" not in cues and "day_or_time" in cues and (
            several or ("offers_slots" in cues and "appointment" not in cues)):
        cues.add("slot_offer")
    return frozenset(cues)


# --------------------------------------------------------------------------------------------------------
# Phrasing: many ways to say each thing. A few are lowercase and unpunctuated, as STT delivers them.

PHRASES: dict[str, tuple[str, ...]] = {
    "hello": ("Hello?", "Hello, who's calling?", "hi", "Yeah, hello?", "hello this is {first}", "Hi, this is {first}.",
              "Hello?? Who is this?", "uh hello"),
    "is_me": ("Yes, this is {first}.", "Speaking.", "yeah that's me", "Yes, that's me.", "yep this is {first}",
              "This is she— I mean, yes, it's {first}.", "Mm-hmm, yes.", "yes it is", "That's me, yeah.",
              "Yes, this is she."),
    # Asked again who they are after saying so: a person makes it unmistakable, not another bare "yes".
    "is_me_again": ("Yes, like I said, it's me.", "that's me yeah you've got the right person",
                    "Yes, it's me you're talking to.", "yes it's me",
                    "Yes, that's me. I'm the one you're calling for."),
    "confirm": ("Yes, I'll be there.", "yeah that works", "Yep, that still works for me.", "Sure, please confirm it.",
                "yes i can make it", "That's fine, I'll be there.", "Yes, confirm please.",
                "Oh yes, I'm planning on it.", "uh yeah that's fine", "Absolutely, I'll be there."),
    "confirm_after_question": ("Okay great, thanks. And yes, I'll be there.", "perfect thanks yes i'll be there",
                               "Got it. Yes, you can confirm it.", "Okay, that helps. Yes, I can make it.",
                               "great thank you yeah that works", "Alright, good to know. Yes, please confirm."),
    "question": ("Where do I park?", "Is there parking there?", "what should i bring", "Do I need to bring anything?",
                 "Um, where should I park when I get there?", "what do i need to bring with me",
                 "Before I say yes — is there parking nearby?", "Do I have to bring my insurance card or anything?"),
    "reschedule": ("I can't make it then. Can we move it to sometime next week?",
                   "actually i need to reschedule can we do next week",
                   "Hmm, that doesn't work for me anymore. Do you have anything next week?",
                   "Could we change it to another day next week?", "i need a different day sometime next week",
                   "Something came up — could I reschedule to next week?",
                   "That time's not going to work. Can I move it to next week?"),
    "preference": ("Any day next week works.", "sometime next week is fine", "Next week, any time really.",
                   "um next week whenever", "Anything next week would be great."),
    "pick_first": ("The first one works.", "let's do the first one", "The first one, please.", "first one is good",
                   "I'll take the first one."),
    "pick_second": ("The second one works for me.", "the second one please", "Let's do the second one.",
                    "second one sounds good"),
    "cancel": ("I need to cancel that appointment.", "i want to cancel", "Actually, please cancel it.",
               "I won't be able to come, I'd like to cancel.", "can you cancel it please",
               "I'm going to have to cancel, sorry."),
    "cancel_yes": ("Yes, cancel it please.", "yes please cancel", "Yes, I'm sure.", "yep go ahead and cancel",
                   "Yes, that's right, cancel it."),
    "decline": ("No, thank you.", "no thanks", "no not right now thanks", "no i'm good",
                "No thank you, not at the moment.", "nah that's okay"),
    "no_more": ("No, that's all.", "nope that's it", "No, that's everything, thanks.", "no thank you",
                "That's it, thanks."),
    "thanks": ("Great, thanks.", "thank you", "Okay, thanks!", "ok perfect", "Sounds good, thank you."),
    "bye": ("Bye.", "thanks bye", "Okay, bye now.", "bye bye", "You too, bye.", "Thank you, goodbye."),
    "not_patient": ("No, this is her husband. She's not home right now.", "no this is his son he's out",
                    "She's not here, I'm her daughter.", "No, this is her mother. She's at work.",
                    "this is her roommate she's not around", "No, I'm his wife — he's not available."),
    "take_message": ("Sure, I'll let her know.", "ok i'll tell them", "Yeah, I'll pass it along.", "okay will do",
                     "Sure, I'll have them call you."),
    "wrong_number": ("I think you have the wrong number.", "there's nobody here by that name",
                     "Sorry, no one by that name lives here.", "wrong number", "You've got the wrong number, sorry.",
                     "I don't know who that is. Wrong number."),
    "opt_out": ("Please stop calling me.", "take me off your list", "Don't call this number again, please.",
                "stop calling me", "Please remove me from your call list.", "Please don't call me again."),
    "human": ("Can I talk to a real person?", "i want to speak to someone", "Can you transfer me to the front desk?",
              "operator please", "I'd rather talk to a human, please.", "Let me speak with someone at the office."),
    "callback": ("I can't talk right now. Can you call me back tomorrow afternoon?",
                 "i'm driving can you call back later", "This isn't a good time, could you call me back later?",
                 "I'm at work, can you call me back tomorrow?", "call me back later please"),
    "callback_time": ("Tomorrow afternoon, after 3.", "tomorrow after 3", "Around 4 tomorrow would be good.",
                      "anytime after 3 tomorrow"),
    "yes_please": ("Yes, please.", "yes please", "Yeah, go ahead.", "yes thank you"),
    "ok": ("Okay.", "ok", "Alright.", "mm-hmm", "Sure."),
    "huh": ("Sorry, what was that?", "what", "Huh?", "sorry who is this"),
}


@dataclass
class _Voice:
    """Picks phrasings with a seeded RNG and never says the same sentence twice in one call if it can help it."""

    rng: random.Random
    first_name: str
    used: set[str] = field(default_factory=set)

    def say(self, key: str) -> str:
        phrases = PHRASES[key]
        if key == "hello" and self.first_name == "me":
            # a name we do not know: "hi, this is me" would claim to be the patient before being asked
            phrases = tuple(p for p in phrases if "{first}" not in p)
        options = [p.replace("{first}", self.first_name) for p in phrases]
        fresh = [p for p in options if p not in self.used] or options
        choice = self.rng.choice(fresh)
        self.used.add(choice)
        return choice


# --------------------------------------------------------------------------------------------------------
# The scripted patients.

MAX_TURNS = 14   # a patient who has heard 14 agent turns without getting anywhere hangs up
# Cues that make an identity-sounding question ("are you able to make it?") about the appointment instead.
_BUSINESS = frozenset({"asks_confirm", "appointment", "slot_offer", "asks_preference", "cancel_check", "rebook_offer",
                       "asks_callback_time", "leave_message", "transfer", "anything_else", "goodbye"})


class ScriptedPerson:
    """A person on the line who answers toward one goal. Subclasses say what the goal is per cue."""

    kind: Literal["person", "machine"] = "person"
    persona = "person"

    def __init__(self, rng: random.Random, first_name: str = "") -> None:
        self.voice = _Voice(rng, first_name or "me")
        self.rng = rng
        self.turns = 0
        self.identified = False      # the agent has heard who is on the line
        self.goal_said = False       # the persona has stated what it wants
        self.said_bye = False
        self.history: list[tuple[str, str]] = []

    # FarEnd
    def first_words(self) -> Turn:
        return Turn(text=self.voice.say("hello"))

    def reply(self, agent_said: str) -> Turn:
        self.turns += 1
        if self.said_bye or self.turns > MAX_TURNS:
            return Turn(hang_up=True)
        cues = read_agent(agent_said)
        turn = self.react(cues, agent_said)
        if turn.text:
            self.history.append((agent_said, turn.text))
        return turn

    # Persona logic
    def react(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "goodbye" in cues and self._closing(cues):
            self.said_bye = True
            return Turn(text=self.voice.say("bye"))
        if "identity_question" in cues and (not self.identified or not (_BUSINESS & cues)):
            return self.on_identity(cues)     # asked again who they are ("is this a number for X?"): answer
        if "anything_else" in cues:
            return Turn(text=self.voice.say("no_more"))
        return self.on_other(cues, agent_said)

    def _closing(self, cues: frozenset[str]) -> bool:
        """A goodbye that is not also a question the persona still has to answer."""
        return not ({"identity_question", "asks_confirm", "slot_offer", "rebook_offer", "cancel_check"} & cues)

    def on_identity(self, cues: frozenset[str]) -> Turn:
        again = self.identified
        self.identified = True
        return Turn(text=self.voice.say("is_me_again" if again else "is_me"))

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        return Turn(text=self.voice.say("ok"))


class Confirmer(ScriptedPerson):
    persona = "confirmer"

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        if {"appointment_statement", "asks_confirm", "clarify"} & cues or (not self.goal_said and "?" in agent_said):
            self.goal_said = True
            return Turn(text=self.voice.say("confirm"))
        if "identity_question" in cues:
            return Turn(text=self.voice.say("is_me"))
        return Turn(text=self.voice.say("thanks"))


class SilentConfirmer(Confirmer):
    """Picks up and says nothing until the caller speaks (many people do with unknown numbers)."""

    persona = "silent_confirmer"

    def first_words(self) -> Turn:
        return Turn()


class QuestionThenConfirm(ScriptedPerson):
    persona = "question_then_confirm"

    def __init__(self, rng: random.Random, first_name: str = "") -> None:
        super().__init__(rng, first_name)
        self.asked = False

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        if not self.asked and ("appointment_statement" in cues or "asks_confirm" in cues):
            self.asked = True
            return Turn(text=self.voice.say("question"))
        if self.asked:
            self.goal_said = True
            return Turn(text=self.voice.say("confirm_after_question" if not self.goal_said else "confirm"))
        if "identity_question" in cues:
            return Turn(text=self.voice.say("is_me"))
        return Turn(text=self.voice.say("ok"))

    def react(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "anything_else" in cues and self.asked and not self.goal_said:
            self.goal_said = True
            return Turn(text=self.voice.say("confirm_after_question"))
        return super().react(cues, agent_said)


class Rescheduler(ScriptedPerson):
    persona = "rescheduler"

    def __init__(self, rng: random.Random, first_name: str = "") -> None:
        super().__init__(rng, first_name)
        self.picked = False

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "booked" in cues and self.picked:
            return Turn(text=self.voice.say("thanks"))
        if "slot_offer" in cues and self.goal_said:
            self.picked = True
            return Turn(text=self.voice.say(self.rng.choice(("pick_first", "pick_first", "pick_second"))))
        if "asks_preference" in cues and self.goal_said:
            return Turn(text=self.voice.say("preference"))
        if not self.goal_said or "appointment_statement" in cues or "clarify" in cues:
            self.goal_said = True
            return Turn(text=self.voice.say("reschedule"))
        if "identity_question" in cues:
            return Turn(text=self.voice.say("is_me"))
        return Turn(text=self.voice.say("preference" if not self.picked else "thanks"))


class Canceller(ScriptedPerson):
    persona = "canceller"

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "rebook_offer" in cues and self.goal_said:
            return Turn(text=self.voice.say("decline"))
        if "cancel_check" in cues and self.goal_said:
            return Turn(text=self.voice.say("cancel_yes"))
        if "cancelled" in cues:
            return Turn(text=self.voice.say("thanks"))
        if not self.goal_said or "appointment_statement" in cues or "clarify" in cues:
            self.goal_said = True
            return Turn(text=self.voice.say("cancel"))
        if "identity_question" in cues:
            return Turn(text=self.voice.say("is_me"))
        if "?" in agent_said:
            return Turn(text=self.voice.say("decline"))
        return Turn(text=self.voice.say("thanks"))


class NotPatient(ScriptedPerson):
    persona = "not_patient"

    def on_identity(self, cues: frozenset[str]) -> Turn:
        self.identified = self.goal_said = True
        return Turn(text=self.voice.say("not_patient"))

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "leave_message" in cues:
            return Turn(text=self.voice.say("take_message"))
        if "identity_question" in cues or "clarify" in cues or not self.goal_said:
            self.goal_said = True
            return Turn(text=self.voice.say("not_patient"))
        return Turn(text=self.voice.say("ok"))


class WrongNumber(ScriptedPerson):
    persona = "wrong_number"

    def on_identity(self, cues: frozenset[str]) -> Turn:
        self.identified = self.goal_said = True
        return Turn(text=self.voice.say("wrong_number"))

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "apology" in cues and self.goal_said:
            return Turn(text=self.voice.say("ok"))
        if "identity_question" in cues or "clarify" in cues or not self.goal_said:
            self.goal_said = True
            return Turn(text=self.voice.say("wrong_number"))
        return Turn(text=self.voice.say("ok"))


class OptOut(ScriptedPerson):
    persona = "opt_out"

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "opt_out_noted" in cues and self.goal_said:
            return Turn(text=self.voice.say("thanks"))
        if "identity_question" in cues and not self.goal_said:
            return Turn(text=self.voice.say("is_me"))
        self.goal_said = True
        return Turn(text=self.voice.say("opt_out"))


class WantsHuman(ScriptedPerson):
    persona = "human"

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "transfer" in cues and self.goal_said and "?" not in agent_said:
            return Turn(text=self.voice.say("ok"))
        if "transfer" in cues and self.goal_said:
            return Turn(text=self.voice.say("yes_please"))
        if "identity_question" in cues and not self.goal_said:
            return Turn(text=self.voice.say("is_me"))
        self.goal_said = True
        return Turn(text=self.voice.say("human"))


class Callback(ScriptedPerson):
    persona = "callback"

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "asks_callback_time" in cues or ("asks_preference" in cues and self.goal_said):
            return Turn(text=self.voice.say("callback_time"))
        if "callback_noted" in cues and self.goal_said:
            return Turn(text=self.voice.say("thanks"))
        if "identity_question" in cues and not self.goal_said:
            return Turn(text=self.voice.say("is_me"))
        self.goal_said = True
        return Turn(text=self.voice.say("callback"))


class HangUp(ScriptedPerson):
    """Picks up, says who they are, then hangs up once the agent gets to the point."""

    persona = "hang_up"

    def react(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "identity_question" in cues and not self.identified:
            return self.on_identity(cues)
        return Turn(hang_up=True)


class KeypadPerson(ScriptedPerson):
    """Says who they are, then answers the agent's question with a key press instead of words."""

    digit = "1"

    def on_other(self, cues: frozenset[str], agent_said: str) -> Turn:
        if "identity_question" in cues and not self.identified:
            return self.on_identity(cues)
        if not self.goal_said:
            self.goal_said = True
            return Turn(dtmf=self.digit)
        return Turn(text=self.voice.say("thanks"))


class KeypadConfirmer(KeypadPerson):
    persona = "keypad_confirmer"
    digit = "1"


class KeypadOptOut(KeypadPerson):
    persona = "keypad_opt_out"
    digit = "9"


class AnsweringMachine:
    """A voicemail box: a greeting and a beep, then it records in silence until its time limit."""

    kind: Literal["person", "machine"] = "machine"
    persona = "voicemail"
    GREETINGS = (
        "Hi, you've reached {first}. I can't come to the phone right now. Please leave a message after the tone. "
        "Beep.",
        "The person you are trying to reach is not available. At the tone, please record your message. "
        "When you are finished, you may hang up. Beep.",
        "hey it's {first} leave me a message and i'll call you back beep",
        "You have reached the voicemail box of {number}. Please leave a message after the beep.",
    )
    MAX_REPLIES = 3   # the box stops recording after a few agent utterances

    def __init__(self, rng: random.Random, first_name: str = "", phone: str = "") -> None:
        self.rng = rng
        self.first = first_name or "me"
        self.number = " ".join(phone[-10:]) if phone else "the number you dialed"
        self.replies = 0

    def first_words(self) -> Turn:
        return Turn(text=self.rng.choice(self.GREETINGS).format(first=self.first, number=self.number))

    def reply(self, agent_said: str) -> Turn:
        self.replies += 1
        return Turn(hang_up=True) if self.replies > self.MAX_REPLIES else Turn()


_CLASSES: dict[str, type[ScriptedPerson]] = {
    "confirmer": Confirmer,
    "busy_then_confirm": Confirmer,
    "rescheduler": Rescheduler,
    "interrupter": Rescheduler,
    "silent_confirmer": SilentConfirmer,
    "mumbler": Confirmer,
    "canceller": Canceller,
    "question_then_confirm": QuestionThenConfirm,
    "not_patient": NotPatient,
    "wrong_number": WrongNumber,
    "opt_out": OptOut,
    "human": WantsHuman,
    "callback": Callback,
    "hang_up": HangUp,
    "keypad_confirmer": KeypadConfirmer,
    "keypad_opt_out": KeypadOptOut,
    # These never get a person on the line; if a caller does reach them (a test forcing it), they confirm.
    "busy": Confirmer,
    "no_answer": Confirmer,
    "rejecter": Confirmer,
}


def make_far_end(persona: str, *, seed: int | str = 0, phone: str = "", call_number: int = 1,
                 first_name: str = "", use_llm: bool | None = None) -> FarEnd:
    """The far end for one call to `phone` (its `call_number`-th call) played as `persona`.

    `use_llm=None` means: an LLM plays the persona when OPENAI_API_KEY is set, else the scripted one."""
    spec = get_spec(persona)
    rng = random.Random(f"{seed}|{phone}|{call_number}|{spec.name}")
    if spec.name == "voicemail":
        return AnsweringMachine(rng, first_name, phone)
    scripted = _CLASSES[spec.name](rng, first_name)
    if use_llm is None:
        from sim.llm_persona import llm_available

        use_llm = llm_available()
    if use_llm:
        from sim.llm_persona import LLMPerson

        return LLMPerson(spec, scripted, first_name=first_name)
    return scripted


def persona_for_number(phone: str, names: Sequence[str] | None = None) -> str:
    """A persona chosen deterministically from the number (for call lists without a `persona` column)."""
    import hashlib

    pool = list(names or DEFAULT_MIX)
    digest = hashlib.sha256(phone.encode()).digest()
    return pool[int.from_bytes(digest[:4], "big") % len(pool)]
