"""Who is behind each number on the SIP phone network, and how they behave when the call is answered.

Numbers get their persona exactly as in text mode (`sim.phone_network.PhoneNetwork`: a call list's
`persona` column, explicit `NUMBER=PERSONA` pairs, else chosen from the number), and the persona's line
for this call (`sim.personas.line_for`: busy, rings out, reject, machine or person) decides the SIP answer.
Front-desk numbers are the clinic's own line: they always answer, with `FrontDeskBrain`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from sim.personas import PHRASES, AnsweringMachine, get_spec
from sim.phone_network import PhoneNetwork
from sim.sip_phone.brain import (
    AwaitTurn,
    FarEndBrain,
    FrontDeskBrain,
    HangUp,
    LineBrain,
    Pause,
    Press,
    Say,
    ScriptedBrain,
    Step,
    Transcriber,
    VoicemailBrain,
)

LineKind = Literal["person", "machine", "busy", "no_answer", "reject", "front_desk"]

# What each person persona says, turn by turn, while the phone network cannot understand speech: a phrase
# key from sim.personas.PHRASES (phrased by the persona's own seeded voice) or a key press "dtmf:N". Each
# entry is said after the other side has finished a sentence; the first is the "hello" on pick-up.
SCRIPTS: dict[str, tuple[str, ...]] = {
    "confirmer": ("hello", "is_me", "confirm", "bye"),
    "question_then_confirm": ("hello", "is_me", "question", "confirm_after_question", "bye"),
    "rescheduler": ("hello", "is_me", "reschedule", "preference", "pick_first", "thanks", "bye"),
    "canceller": ("hello", "is_me", "cancel", "cancel_yes", "decline", "bye"),
    "not_patient": ("hello", "not_patient", "take_message", "bye"),
    "wrong_number": ("hello", "wrong_number", "ok", "bye"),
    "opt_out": ("hello", "is_me", "opt_out", "thanks"),
    "human": ("hello", "is_me", "human", "yes_please"),
    "callback": ("hello", "is_me", "callback", "callback_time", "thanks"),
    "hang_up": ("hello", "is_me", "hang_up"),
    "keypad_confirmer": ("hello", "is_me", "dtmf:1", "thanks", "bye"),
    "keypad_opt_out": ("hello", "is_me", "dtmf:9", "thanks"),
}
SCRIPTS["busy_then_confirm"] = SCRIPTS["busy"] = SCRIPTS["no_answer"] = SCRIPTS["rejecter"] = SCRIPTS["confirmer"]


# A talking persona's pace (TTS speed): a few fixed values, so the phone network's TTS cache stays useful.
SPEEDS = (0.9, 1.0, 1.1)


@dataclass(frozen=True)
class LinePlan:
    """What the network does with one incoming call."""

    number: str            # the called number, E.164 when it parses
    persona: str           # persona name, or "front_desk"
    kind: LineKind
    call_number: int       # how many times this number has been called, this call included
    first_name: str = ""


@dataclass(frozen=True)
class Timing:
    """How long each line rings before its answer (seconds), and how long parties stay on the line."""

    answer_after: float = 1.0        # person / front desk pick up after this much ringing
    machine_after: float = 2.0       # the voicemail box picks up after this much ringing
    busy_after: float = 0.2          # 486 Busy Here
    reject_after: float = 1.0        # 603 Decline, after a ring or two
    ring_timeout: float | None = 30.0   # no_answer: 480 after this much ringing; None = ring until cancelled
    max_call: float = 120.0          # a person hangs up a call this old
    max_message: float = 60.0        # a voicemail box stops recording after this much message
    patience: float = 8.0            # a scripted person says their next line after this much silence
    front_desk: float = 30.0         # the front desk hangs up a call this old


class Directory:
    """Number -> plan. Wraps the text-mode phone network (same personas, same call counting)."""

    def __init__(self, network: PhoneNetwork, front_desk: Iterable[str] = ()) -> None:
        self.network = network
        self.front_desk = {network.normalize(n) for n in front_desk}

    def plan(self, number: str) -> LinePlan:
        n = self.network.normalize(number)
        if n in self.front_desk:
            return LinePlan(n, "front_desk", "front_desk", 1)
        sub = self.network.subscriber(n)
        line = self.network.dial(n)    # counts the call (busy_then_confirm: busy only the first time)
        return LinePlan(n, sub.persona, line, self.network.calls_to(n), sub.first_name)


def script_steps(persona: str, rng: random.Random, first_name: str, patience: float) -> list[Step]:
    """The persona's script as brain steps, phrased by its seeded voice."""
    used: set[str] = set()
    steps: list[Step] = [Pause(0.4)]
    for i, entry in enumerate(SCRIPTS[persona]):
        if i:
            steps.append(AwaitTurn(patience))
        if entry.startswith("dtmf:"):
            steps.append(Press(entry.removeprefix("dtmf:")))
        elif entry == "hang_up":
            steps.append(HangUp("persona"))
        else:
            options = [p.replace("{first}", first_name or "me") for p in PHRASES[entry]]
            fresh = [p for p in options if p not in used] or options
            text = rng.choice(fresh)
            used.add(text)
            steps.append(Say(text=text))
    return steps


def make_brain(plan: LinePlan, *, seed: int | str = 0, timing: Timing = Timing(),
               transcriber: Transcriber | Callable[[bytes], str] | None = None,
               network: PhoneNetwork | None = None,
               voice: Callable[[str, float], bytes] | None = None) -> LineBrain:
    """The brain for an answered call. With a `transcriber`, persons are the text personas themselves
    (`FarEndBrain`), speaking through `voice` (text, speed -> PCM) at a pace of their own and with their
    persona's delivery; without one they follow their script (`SCRIPTS`)."""
    if plan.kind == "front_desk":
        return FrontDeskBrain(max_seconds=timing.front_desk)
    rng = random.Random(f"{seed}|{plan.number}|{plan.call_number}|{plan.persona}|sip")
    if plan.kind == "machine":
        greeting = AnsweringMachine(rng, plan.first_name, plan.number).first_words().text or "Leave a message."
        greeting = greeting.removesuffix(" Beep.").removesuffix(" beep")   # the real beep follows
        return VoicemailBrain(greeting, max_message=timing.max_message)
    if transcriber is not None and network is not None:
        speed = rng.choice(SPEEDS)
        spoken = (lambda text: voice(text, speed)) if voice is not None else None
        return FarEndBrain(network.far_end_for(plan.number), transcriber, max_seconds=timing.max_call,
                           voice=spoken, delivery=get_spec(plan.persona).delivery)
    get_spec(plan.persona)
    return ScriptedBrain(script_steps(plan.persona, rng, plan.first_name, timing.patience),
                         max_seconds=timing.max_call)
