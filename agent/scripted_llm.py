"""The offline brain: a scripted receptionist policy behind LiveKit's `llm.LLM` interface.

It reads the same chat context a real model reads (patient turns, its own previous replies, tool
outputs) and answers with natural, varied templated text and the same tool calls the production model
makes, so every tool, filler, event and outcome path runs identically with either brain. Chained after
the OpenAI-compatible model with `llm.FallbackAdapter`, it keeps a call going when the model fails
mid-call. It also answers LiveKit AMD's classification prompt deterministically, so answering-machine
detection in offline calls still goes through `livekit.agents.voice.amd.AMD`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from livekit.agents import APIConnectOptions, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr

from agent.call_state import Dialogue
from agent.call_state import current as current_state
from agent.fillers import PhrasePicker
from agent.intents import Intent, claims_to_be_patient, classify
from agent.tool_args import callback_args, preference_args
from agent.tool_errors import error_code
from clinic.clock import get_clock

AMD_PROMPT_START = "Task:\nClassify the call greeting"
_MACHINE_UNAVAILABLE = r"mailbox (is )?full|not (been )?set up|cannot accept (any )?messages|can't accept messages"
_MACHINE_IVR = r"\bpress (\d|one|two|pound|star)|please state your name|screening|para espa"
_MACHINE_VM = (r"leave (a|your|me a) (message|name)|after the (tone|beep)|at the tone|voicemail|voice mail|"
               r"can't (take|get to) (your|the) (call|phone)|unable to (take|answer)|not available( right now)?|"
               r"record your message|get back to you|you have reached|you've reached|mailbox")
_HUMAN = r"^(hello|hi|hey|yes|yeah|speaking|this is \w+|who('s| is) this|good (morning|afternoon|evening))\b"


def classify_greeting(transcript: str) -> str:
    """AMD categories for a greeting transcript: machine-unavailable / machine-ivr / machine-vm / human /
    uncertain. Keyword rules: a greeting that offers to take a message is a machine."""
    t = transcript.lower().strip()
    if re.search(_MACHINE_UNAVAILABLE, t):
        return "machine-unavailable"
    if re.search(_MACHINE_IVR, t):
        return "machine-ivr"
    if re.search(_MACHINE_VM, t):
        return "machine-vm"
    if re.search(_HUMAN, t) or len(t.split()) <= 4:
        return "human"
    return "uncertain"


@dataclass
class Reply:
    text: str = ""
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    kind: str = "other"


@dataclass
class PolicyView:
    """What the policy sees in the chat context."""

    identity_confirmed: bool = False
    appointment: str = ""
    first_name: str = ""
    last_user: str = ""
    last_kind: str = "identity"
    unclear_streak: int = 0
    silence_streak: int = 0
    tail_outputs: list[tuple[str, dict[str, Any] | str, bool]] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    last_search: dict[str, Any] = field(default_factory=dict)   # the last find_available_slots arguments
    agent_turns: int = 0           # agent messages in the chat so far
    model_spoke: bool = False      # another brain said something since the stage was last set
    question_heard: bool = True    # the agent's last line was heard to the end (not spoken over)
    said: set[str] = field(default_factory=set)   # every sentence the agent said so far (see _sentence_keys)


# Re-asks per stage: the first is the plain question; a re-ask never repeats a sentence already said in the call
# word for word (the greeting ends "Am I speaking with Jordan?"; after a silence the agent asks "Is this Jordan?").
_REASKS: dict[str, tuple[str, ...]] = {
    "identity": ("Am I speaking with {first}?", "Is this {first}?", "Could you tell me if I'm speaking with {first}?"),
    "ask_knows": ("Does {first} use this number?", "Is this a number for {first}?"),
    "ask_appointment": ("Will you be able to make it?", "Can you still make it?", "Does that time still work for you?"),
    "offer": ("Which of those times works best for you?", "Which of those would you like?"),
    "offer_reask": ("Which of those times works best for you?", "Which of those would you like?"),
    "offer_callback": ("Would you like someone from the front desk to call you back to pick a time?",
                       "Shall I have the front desk call you back to find a time?"),
    "cancel_check": ("Would you like me to cancel it?", "Should I go ahead and cancel it?"),
    "ask_preference": ("What day or time would work better for you?", "When would suit you better?"),
    "rebook_offer": ("Would you like me to find a new time?", "Shall I look for another time for you?"),
    "resched_or_cancel": ("Would you like another time, or should I cancel it?",
                          "Should I find you another time, or cancel it?"),
    "transfer_offer": ("Would you like me to transfer you to the front desk, or have someone call back?",
                       "Shall I put you through to the front desk, or have them call you back?"),
}


def _sentence_keys(text: str) -> set[str]:
    """Sentences of `text`, lowercased without punctuation (how a listener hears a repeat)."""
    parts = re.split(r"(?<!\bDr\.)(?<=[.!?])\s+", text)
    return {" ".join(re.sub(r"[^a-z0-9' ]+", " ", p.lower()).split()) for p in parts if p.strip()}


class ReceptionistPolicy:
    """Decides the next reply from the conversation so far and the call's typed dialogue state
    (`CallState.dialogue`: what the agent last asked, how many re-asks in a row), which it moves with each
    reply; tool results and typed tool-error codes come from the chat context. One instance per call (it
    never repeats a sentence)."""

    def __init__(self, *, first_name: str, clinic_name: str, callback_phone: str = "", seed: int | None = None,
                 tz: ZoneInfo | None = None) -> None:
        self.first_name = first_name
        self.tz = tz or ZoneInfo("UTC")   # the clinic's: "tomorrow" and "after 5" are clinic-local
        self.clinic_name = clinic_name
        self.callback_phone = callback_phone
        self.phrases = PhrasePicker(seed)
        self._own = Dialogue()   # used only when no call is bound (the policy driven on its own)

    def dialogue(self) -> Dialogue:
        """The dialogue state on the call's state (`agent.call_state.current`), else the policy's own."""
        state = current_state()
        return state.dialogue if state is not None else self._own

    # ---- reading the context ----------------------------------------------------------------------
    def view(self, chat_ctx: llm.ChatContext) -> PolicyView:
        v = PolicyView(first_name=self.first_name)
        items = list(chat_ctx.items)
        calls: dict[str, tuple[str, dict[str, Any]]] = {}
        last_user_idx = -1
        for i, item in enumerate(items):
            if item.type == "message" and item.role == "user":
                last_user_idx = i
        for i, item in enumerate(items):
            if item.type == "function_call":
                try:
                    calls[item.call_id] = (item.name, json.loads(item.arguments or "{}"))
                except ValueError:
                    calls[item.call_id] = (item.name, {})
                if item.name == "find_available_slots":
                    v.last_search = calls[item.call_id][1]
            elif item.type == "function_call_output":
                name = item.name or calls.get(item.call_id, ("", {}))[0]
                try:
                    out: dict[str, Any] | str = json.loads(item.output)
                except ValueError:
                    out = item.output
                if isinstance(out, dict):
                    if name == "confirm_identity" and not item.is_error:
                        v.identity_confirmed = True
                    if out.get("appointment"):
                        v.appointment = out["appointment"]
                    if name == "find_available_slots" and not item.is_error:
                        v.options = [o["time"] for o in out.get("options", [])]
                if (i > last_user_idx and last_user_idx >= 0) or (last_user_idx < 0 and i >= 0):
                    v.tail_outputs.append((name, out, item.is_error))
            elif item.type == "message" and item.role == "user":
                v.last_user = item.text_content or ""
            elif item.type == "message" and item.role == "assistant":
                v.said |= _sentence_keys(item.text_content or "")
        if v.tail_outputs and last_user_idx >= 0:
            # only outputs after the last user message are "fresh"
            fresh: list[tuple[str, dict[str, Any] | str, bool]] = []
            seen_user = False
            for item in items:
                if item.type == "message" and item.role == "user":
                    seen_user = True
                    fresh = []
                elif item.type == "function_call_output" and seen_user:
                    name = item.name or calls.get(item.call_id, ("", {}))[0]
                    try:
                        out2: dict[str, Any] | str = json.loads(item.output)
                    except ValueError:
                        out2 = item.output
                    fresh.append((name, out2, item.is_error))
            v.tail_outputs = fresh
        d = self.dialogue()
        v.last_kind, v.unclear_streak, v.silence_streak = d.stage, d.unclear_streak, d.silence_streak
        v.question_heard = d.last_line_heard
        said = [i for i, item in enumerate(items) if item.type == "message" and item.role == "assistant"]
        v.agent_turns = len(said)
        if d.set_by == "policy":
            v.model_spoke = v.agent_turns > d.agent_turns
        else:   # a tool opened the stage; the first agent message after its result asks that question
            outputs = [i for i, item in enumerate(items) if item.type == "function_call_output"]
            v.model_spoke = sum(1 for i in said if outputs and i > outputs[-1]) > 1
        return v

    def _today(self) -> date:
        return get_clock().now().astimezone(self.tz).date()

    def note(self, kind: str, chat_ctx: llm.ChatContext) -> None:
        """This policy's reply (of `kind`) is being said after `chat_ctx`: move the dialogue state."""
        agent_turns = sum(1 for i in chat_ctx.items if i.type == "message" and i.role == "assistant")
        self.dialogue().said(kind, agent_turns + 1)

    # ---- templates ------------------------------------------------------------------------------
    def _say(self, variants: list[str], kind: str, ack: bool = True) -> Reply:
        body = self.phrases.unique(variants)
        text = f"{self.phrases.ack()} {body}".strip() if ack else body
        return Reply(text=text, kind=kind)

    def reprompt(self, v: PolicyView) -> str:
        """The question of the current stage again, in words not yet said in this call if it can."""
        stage = v.last_kind if v.last_kind in _REASKS else ("ask_appointment" if v.identity_confirmed
                                                            else "identity")
        variants = [q.format(first=self.first_name) for q in _REASKS[stage]]
        fresh = [q for q in variants if not (_sentence_keys(q) & v.said)]
        return (fresh or variants)[0]

    # ---- deciding -------------------------------------------------------------------------------
    def decide(self, chat_ctx: llm.ChatContext) -> Reply:
        v = self.view(chat_ctx)
        if v.tail_outputs:
            return self._after_tool(v, *v.tail_outputs[-1])
        return self._after_user(v)

    def _after_tool(self, v: PolicyView, name: str, out: dict[str, Any] | str, is_error: bool) -> Reply:
        first, clinic = self.first_name, self.clinic_name
        o = out if isinstance(out, dict) else {}
        if is_error:
            code = error_code(out)
            if code == "identity_question_not_heard":
                return self._reask_identity_over_talk()
            if code in ("identity_required", "identity_not_affirmed"):
                return self._say([f"Before I go on, am I speaking with {first}?",
                                  f"First, could you confirm I'm speaking with {first}?"], "identity")
            if code == "slot_taken":
                return Reply(text=self.phrases.unique(["Oh, I'm sorry, that time was just taken. Let me look again.",
                                                       "Ah, someone just booked that one. Let me check again."]),
                             tool="find_available_slots", args=v.last_search, kind="filler")
            if name == "transfer_to_front_desk":
                return self._say(["I'm sorry, I can't transfer the call right now. I can have someone from the "
                                  "front desk call you back instead. Would that help?"], "callback_offer")
            return self._say([f"Sorry, something went wrong on my end. {self.reprompt(v)}"], v.last_kind)
        if name == "confirm_identity":
            appt = o.get("appointment", v.appointment)
            return self._say([
                f"I'm calling to confirm your appointment on {appt}. Will you be able to make it? "
                "You can also press 1 to confirm, 2 to reschedule, or 3 to cancel.",
                f"You're scheduled for {appt}. Can you still make it? "
                "Or press 1 to confirm, 2 to reschedule, or 3 to cancel.",
            ], "ask_appointment", ack=False)
        if name == "not_the_patient":
            return self._say([f"No problem. Could you please ask {first} to give {clinic} a call back at "
                              f"{self.callback_phone}? Thank you so much, and have a good day.",
                              f"That's okay. Would you mind asking {first} to call {clinic} back at "
                              f"{self.callback_phone}? Thanks, and have a nice day."], "close", ack=False)
        if name == "wrong_number":
            return self._say(["I'm so sorry for the mix-up. I've noted it so we won't call this number again. "
                              "Have a good day.", "My apologies for bothering you. We won't call this number "
                              "again. Take care."], "close", ack=False)
        if name == "stop_calling":
            return self._say(["Understood. I've taken this number off our automated calls. Sorry for the bother, "
                              "and take care.", "Of course. You won't get any more automated calls from us. "
                              "Have a good day."], "close", ack=False)
        if name == "confirm_appointment":
            appt = o.get("appointment", v.appointment)
            return self._say([f"Wonderful, you're all set for {appt}. We look forward to seeing you. Goodbye!",
                              f"Perfect, I've confirmed {appt}. See you then, {first}. Bye for now!"], "close",
                             ack=False)
        if name == "find_available_slots":
            opts = [x["time"] for x in o.get("options", [])]
            if not opts:
                return self._say(["Hmm, I don't see anything open around then. Is there another day or time that "
                                  "could work?", "I'm not finding a free time then. Could another day work?"],
                                 "ask_preference")
            from agent.speech import join_options

            listed = join_options(opts)
            if len(opts) == 1:
                return self._say([f"I have {listed}. Would that work?", f"The closest I have is {listed}. "
                                  "Does that work for you?"], "offer")
            return self._say([f"I have {listed}. Which works best for you?",
                              f"I can offer {listed}. Which would you like?"], "offer")
        if name == "book_slot":
            appt = o.get("appointment", v.appointment)
            return self._say([f"Perfect, you're now booked for {appt}. Thanks, {first}, see you then. Goodbye!",
                              f"Done, your appointment is moved to {appt}. Thanks so much. Goodbye!"], "close",
                             ack=False)
        if name == "cancel_appointment":
            return self._say(["Okay, your appointment is cancelled. Would you like me to find you a new time "
                              "instead?", "Alright, that's cancelled. Can I help you pick another time instead?"],
                             "rebook_offer", ack=False)
        if name == "schedule_callback":
            when = o.get("callback_at", "later")
            return self._say([f"Sure, we'll call you back on {when}. Thanks, bye for now.",
                              f"No problem, we'll give you a call on {when}. Take care!"], "close")
        if name == "transfer_to_front_desk":
            return self._say(["Okay, I'm connecting you to our front desk now. One moment, please.",
                              "Sure, let me transfer you to the front desk. Just a moment."], "close")
        if name == "lookup_clinic_fact":
            if o.get("known"):
                return Reply(text=f"{str(o['answer']).rstrip('.')}. {self.reprompt(v)}", kind=v.last_kind)
            return self._say(["I'm sorry, I don't have that information. I can transfer you to the front desk, "
                              "or have someone call you back. Which would you prefer?"], "transfer_offer")
        if name == "end_call":
            if v.last_kind == "offer_callback":
                phone = f" at {self.callback_phone}" if self.callback_phone else ""
                return self._say([f"Okay. I'll leave your appointment as it is for now. You can call {clinic}{phone} "
                                  "any time to pick a new time. Goodbye."], "close", ack=False)
            if v.silence_streak:
                return Reply(text=self.phrases.unique([f"I'll let you go for now. {clinic} will try you again "
                                                       "later. Goodbye."]), kind="close")
            return self._say(["Thanks for your time. Goodbye!", "Thank you, have a great day. Bye!"], "close",
                             ack=False)
        return self._say([self.reprompt(v)], v.last_kind)

    def _offer_follow_up(self, v: PolicyView, it: Intent, text: str) -> Reply:
        """The patient answered times on offer without picking one ("okay", "hmm", "no"). Progressive, never
        an endless "which one?": re-ask once naming the options briefly, then offer a callback from the front
        desk, then close politely leaving the appointment as it is. "Okay" is not a choice, and it is never
        taken as confirming the original appointment either."""
        declined = it.negative or bool(re.search(r"\b(none|neither)\b", text.lower()))
        if v.last_kind == "offer_callback":
            if it.intent == "confirm" and not declined:
                return Reply(tool="schedule_callback", args={})
            return Reply(tool="end_call", args={"reason": "declined" if declined else "no_choice"})
        if declined:
            return self._say(["No problem. What day or time would suit you better?"], "ask_preference")
        if v.last_kind == "offer":
            brief = [re.sub(r"\s+in the (morning|afternoon|evening)$", "", o) for o in v.options]
            from agent.speech import join_options

            if len(brief) == 1:
                return self._say([f"Sorry, just to check: would {brief[0]} work for you? Yes or no is fine."],
                                 "offer_reask", ack=False)
            ordinals = join_options(["the first", "the second", "the third"][:len(brief)])
            return self._say([f"Sorry, which one would you like: {join_options(brief)}? You can just say "
                              f"{ordinals}."], "offer_reask", ack=False)
        return self._say(["That's alright, it can be hard to pick on the spot. I can have someone from the "
                          "front desk call you back to find a time. Would you like that?"], "offer_callback",
                         ack=False)

    def _after_user(self, v: PolicyView) -> Reply:
        text = v.last_user.strip()
        if text == "[silence]":
            if v.silence_streak >= 2:
                return Reply(tool="end_call", args={"reason": "silence"}, kind="silence")
            if v.silence_streak == 1:
                return Reply(text=self.phrases.unique([f"Are you still there? {self.reprompt(v)}",
                                                       f"Hello, can you hear me? {self.reprompt(v)}"]), kind="silence")
            return Reply(text=self.phrases.unique([f"Sorry, I didn't hear anything. {self.reprompt(v)}",
                                                   f"I didn't catch that. {self.reprompt(v)}"]), kind="silence")
        context = ("identity" if v.last_kind in ("identity",) and not v.identity_confirmed else
                   "appointment" if v.last_kind == "ask_appointment" else
                   "slot_choice" if v.last_kind in ("offer", "offer_reask") else "yes_no")
        it = classify(text, context, self.first_name)  # type: ignore[arg-type]
        label = it.intent
        if re.search(r"\b(bye|goodbye|that's all|that is all)\b", text.lower()) and label in ("unclear", "confirm") \
                and v.last_kind in ("close", "rebook_offer"):
            return Reply(tool="end_call", args={"reason": "goodbye"})
        # Always honoured, at any stage.
        if label == "opt_out":
            return Reply(tool="stop_calling")
        if label == "wrong_number":
            return Reply(tool="wrong_number")
        if label == "human":
            return Reply(tool="transfer_to_front_desk")
        if label == "not_patient" and not it.negative:
            return Reply(tool="not_the_patient")
        if label == "callback_later":
            return Reply(tool="schedule_callback", args=callback_args(text, get_clock().now(), self.tz))
        if not v.identity_confirmed:
            return self._before_identity(v, it)
        return self._with_identity(v, it, text)

    def _before_identity(self, v: PolicyView, it: Intent) -> Reply:
        first, clinic = self.first_name, self.clinic_name
        label = it.intent
        if v.last_kind == "ask_knows":
            # "Does Jordan use this number?": a plain yes means Jordan does (and is not the one speaking); only
            # "yes, this is me" / "speaking" / "it's Jordan" says the speaker is Jordan (the first answer was
            # misheard, e.g. "this is she" as "this is sheep").
            if claims_to_be_patient(v.last_user, first):
                return self._identity_confirmed()
            if label == "confirm":
                return Reply(tool="not_the_patient")
            if it.negative or label in ("not_patient", "reschedule"):
                return Reply(tool="wrong_number")
        if label == "confirm" and not it.dtmf and not v.question_heard:
            # They said yes over the identity question (it was interrupted): they never heard it asked.
            return self._reask_identity_over_talk()
        if label == "confirm" and not it.dtmf:
            return self._identity_confirmed()
        if label == "not_patient" and it.negative:
            return self._say([f"Oh, my apologies. Does {first} use this number?",
                              f"Sorry about that. Is this a number for {first}?"], "ask_knows", ack=False)
        if label == "question":
            return self._say([f"This is the automated assistant for {clinic}, calling about an appointment. I can "
                              f"share the details once I know I'm speaking with {first}. Is this {first}?",
                              f"I'm {clinic}'s automated assistant, calling about an appointment. Am I speaking "
                              f"with {first}?"], "identity")
        if label in ("reschedule", "cancel", "confirm"):
            return self._say([f"I can help with that. First, am I speaking with {first}?",
                              f"Sure. Just to check first, is this {first}?"], "identity")
        if v.unclear_streak >= 2:
            return Reply(tool="end_call", args={"reason": "unclear"}, kind="clarify")
        return self._say([f"Sorry, I didn't quite catch that. Is this {first}?",
                          f"Sorry, could you say that again? Am I speaking with {first}?"], "clarify", ack=False)

    def _reask_identity_over_talk(self) -> Reply:
        """The callee spoke over the identity question: say who is calling (the clinic's name only, no
        appointment detail) and ask it again, to be heard to the end this time, in words the greeting did not use
        (no sentence is said twice word for word in a call)."""
        first, clinic = self.first_name, self.clinic_name
        return self._say([f"Sorry, I think we spoke at the same time. This is the automated assistant for {clinic}, "
                          f"calling about an appointment. Could I check I'm speaking with {first}?",
                          f"Sorry, we talked over each other there. I'm the automated assistant for {clinic}, "
                          f"calling about an appointment. Is it {first} I'm speaking with?"], "identity", ack=False)

    def _identity_confirmed(self) -> Reply:
        # Thank them in the same step as the tool call: the patient hears it while the tool runs
        # instead of after a second model step (no appointment detail in it).
        first = self.first_name
        return Reply(text=self.phrases.unique([f"Thanks, {first}.", f"Great, thanks {first}.",
                                               f"Thank you, {first}."]), tool="confirm_identity", kind="filler")

    def _with_identity(self, v: PolicyView, it: Intent, text: str) -> Reply:
        from clinic.scheduling import parse_preference

        label = it.intent
        kind = v.last_kind
        has_pref = not parse_preference(text, today=self._today()).is_empty
        if v.model_spoke and (label in ("confirm", "unclear") or it.negative) and not it.dtmf:
            # The model asked something this policy cannot know (it read no sentence of it) and then failed:
            # a bare yes or no could mean anything ("just to be sure, cancel?"). Ask a question of its own.
            return self._say([f"Sorry, just to be sure: can you make your appointment on {v.appointment}? You "
                              "can also press 1 to confirm, 2 to reschedule, or 3 to cancel."], "ask_appointment",
                             ack=False)
        if kind in _OFFER_KINDS and v.options and label in ("confirm", "reschedule", "unclear"):
            choice = match_option(text, v.options, it, bare_yes=kind != "offer_callback")
            if choice is not None:
                return Reply(tool="book_slot", args={"option": choice})
            if not it.dtmf and not has_pref:
                return self._offer_follow_up(v, it, text)
        if label == "question":
            return Reply(tool="lookup_clinic_fact", args={"topic": text})
        if label == "cancel":
            if kind == "cancel_check" or it.dtmf or kind == "resched_or_cancel":
                return Reply(tool="cancel_appointment")
            return self._say([f"Just to double-check, you'd like to cancel your appointment on {v.appointment}?",
                              f"Okay, just to be sure: should I cancel your appointment on {v.appointment}?"],
                             "cancel_check")
        if label == "confirm":
            if kind == "cancel_check":
                return Reply(tool="cancel_appointment")
            if kind in ("rebook_offer", "resched_or_cancel"):
                return self._say(["What day or time works best for you?",
                                  "When would be a good time for you?"], "ask_preference")
            if kind in ("transfer_offer", "callback_offer") and _ATTENDS.search(text.lower()):
                # "Which would you prefer?" answered with "that's fine, I'll be there": the question they asked
                # can wait; they confirmed the appointment (a bare "yes" still takes the offer)
                return Reply(tool="confirm_appointment")
            if kind == "transfer_offer":
                return Reply(tool="transfer_to_front_desk")
            if kind == "callback_offer":
                return Reply(tool="schedule_callback", args={})
            if kind == "ask_preference":
                return Reply(tool="find_available_slots", args=preference_args(text if has_pref else "", self._today()))
            return Reply(tool="confirm_appointment")
        if label == "reschedule":
            if it.negative and kind == "cancel_check":
                return self._say(["Okay, I'll keep it as it is. So, will you be able to make it?"], "ask_appointment")
            if it.negative and kind == "rebook_offer":
                return Reply(tool="end_call", args={"reason": "goodbye"})
            if it.negative and kind == "transfer_offer":
                return self._say(["No problem. Will you be able to make your appointment, then?"], "ask_appointment")
            if it.negative and kind in _OFFER_KINDS:
                return self._say(["No problem. What day or time would suit you better?"], "ask_preference")
            if it.negative and kind == "ask_appointment" and not it.dtmf:
                return self._say(["No problem. Would you like to pick another time, or should I cancel it?",
                                  "That's okay. Shall I find you another time, or cancel the appointment?"],
                                 "resched_or_cancel")
            if has_pref or (kind == "ask_preference" and re.search(r"\b(any|whatever|anything|don't mind)\b", text)):
                return Reply(tool="find_available_slots", args=preference_args(text, self._today()))
            return self._say(["Sure, I can help with that. What day or time works better for you?",
                              "Of course. When would suit you better?"], "ask_preference")
        if label == "unclear":
            if kind == "ask_preference" and has_pref:
                return Reply(tool="find_available_slots", args=preference_args(text, self._today()))
            if it.negative and kind in ("rebook_offer",):
                return Reply(tool="end_call", args={"reason": "goodbye"})
            if v.unclear_streak >= 2:
                return Reply(tool="end_call", args={"reason": "unclear"}, kind="clarify")
            if v.unclear_streak == 1:
                return Reply(text=self.phrases.unique([
                    f"{self.reprompt(v)} You can also press 1 to confirm, 2 to reschedule, or 3 to cancel."]),
                    kind="clarify")
            return Reply(text=self.phrases.unique([f"Sorry, I didn't quite get that. {self.reprompt(v)}",
                                                   f"Sorry, could you say that again? {self.reprompt(v)}"]),
                         kind="clarify")
        return self._say([self.reprompt(v)], kind)


_OFFER_KINDS = ("offer", "offer_reask", "offer_callback")
# Saying they will come to the appointment, whatever else was asked.
_ATTENDS = re.compile(r"\b(i'?ll be there|i will be there|i can make it|i'?ll make it|you can confirm( it)?|"
                      r"please confirm)\b")


def match_option(text: str, options: list[str], intent: Intent, bare_yes: bool = True) -> int | None:
    """Which offered time (1-based) the patient picked: "the second one", "the last", or a day and/or hour
    that names exactly one option; a plain yes picks the only option when `bare_yes`. None: no pick."""
    if intent.choice and intent.choice <= len(options):
        return len(options) if intent.choice == 3 and "last" in text.lower() else intent.choice
    t = text.lower()
    hits = []
    for i, opt in enumerate(options, start=1):
        o = opt.lower()
        day = o.split()[0]
        hour = re.search(r"at (\d{1,2})(?::(\d{2}))?", o)
        day_hit = day in t
        hour_hit = bool(hour and re.search(rf"\b{hour.group(1)}(:{hour.group(2) or '00'}|\b)", t))
        if day_hit and hour_hit:
            return i
        if day_hit or hour_hit:
            hits.append(i)
    if len(hits) == 1:
        return hits[0]
    if bare_yes and len(options) == 1 and intent.intent == "confirm":
        return 1
    return None


class ScriptedLLM(llm.LLM):
    """`llm.LLM` whose completions come from `ReceptionistPolicy` (and AMD's prompt from keyword rules)."""

    def __init__(self, policy: ReceptionistPolicy) -> None:
        super().__init__()
        self.policy = policy
        self._n = 0

    @property
    def model(self) -> str:
        return "scripted-policy"

    @property
    def provider(self) -> str:
        return "offline"

    def chat(self, *, chat_ctx: llm.ChatContext, tools: list[llm.Tool] | None = None,
             conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
             parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN, tool_choice: NotGivenOr[Any] = NOT_GIVEN,
             extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN) -> llm.LLMStream:
        return _ScriptedStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)

    def next_id(self) -> str:
        self._n += 1
        return f"scripted_{self._n}"


class _ScriptedStream(llm.LLMStream):
    async def _run(self) -> None:
        owner: ScriptedLLM = self._llm  # type: ignore[assignment]
        items = list(self._chat_ctx.items)
        system = next((i.text_content or "" for i in items if i.type == "message" and i.role == "system"), "")
        if system.startswith(AMD_PROMPT_START):
            transcript = next((i.text_content or "" for i in reversed(items)
                               if i.type == "message" and i.role == "user"), "")
            label = classify_greeting(transcript)
            self._send(owner, None, "save_prediction", {"label": label})
            return
        reply = owner.policy.decide(self._chat_ctx)
        if reply.text:
            owner.policy.note(reply.kind, self._chat_ctx)
        self._send(owner, reply.text or None, reply.tool, reply.args)

    def _send(self, owner: ScriptedLLM, text: str | None, tool: str | None, args: dict[str, Any]) -> None:
        cid = owner.next_id()
        if text:
            self._event_ch.send_nowait(llm.ChatChunk(id=cid, delta=llm.ChoiceDelta(role="assistant", content=text)))
        if tool:
            call = llm.FunctionToolCall(name=tool, arguments=json.dumps(args), call_id=f"call_{cid}")
            self._event_ch.send_nowait(llm.ChatChunk(id=cid, delta=llm.ChoiceDelta(role="assistant",
                                                                                   tool_calls=[call])))
        self._event_ch.send_nowait(llm.ChatChunk(id=cid, usage=llm.CompletionUsage(
            completion_tokens=0, prompt_tokens=0, total_tokens=0)))
