"""The stand-in model's mind: a deterministic reading of an OpenAI chat-completions request.

It sees exactly what the cloud model sees (the system instructions, the patient's turns, the tool calls and
tool results, the tool schemas offered) and answers with text and/or one tool call, as a model would:

- The patient's words are read with `agent.intents.classify` (the same understanding as the scripted brain),
  in the context the conversation is in.
- Where the conversation is comes from tool results and the patient's earlier turns only, never from the
  agent's own sentences: a successful `confirm_identity` means the appointment question is open, a
  `find_available_slots` result with options means times are on offer, and so on. Text-only replies the
  stand-in gave earlier are reconstructed by replaying its own (deterministic) decisions on earlier turns.
- Tool arguments are structured and shaped by the schema offered (dates, part-of-day enum, option numbers);
  a tool that is not offered is never called.
- Today's date is read from the instructions ("today is Monday 2026-03-02"), as a model would.

`reckless_identity` makes it call `confirm_identity` at the identity step whatever was said, to show the
tool's own guard refusing a third party even when the model is wrong."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from agent.intents import Intent, classify
from agent.scripted_llm import match_option
from agent.tool_args import callback_args, preference_args
from clinic.scheduling import parse_preference

Stage = Literal["identity", "appointment", "cancel_check", "resched_or_cancel", "ask_preference", "offer",
                "rebook_offer", "closing"]
_CONTEXT = {"identity": "identity", "appointment": "appointment", "offer": "slot_choice"}
TERMINAL_TOOLS = frozenset({"not_the_patient", "wrong_number", "stop_calling", "confirm_appointment", "book_slot",
                            "schedule_callback", "transfer_to_front_desk", "end_call"})
SILENCE = "[silence]"


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Completion:
    """One assistant turn: optional text, then at most one tool call."""

    text: str = ""
    tool_call: ToolCall | None = None


@dataclass
class Conversation:
    """The request, reduced to what the policy decides on."""

    today: date
    tools: dict[str, dict[str, Any]]                       # name -> JSON schema of the parameters
    events: list[tuple[str, Any]] = field(default_factory=list)   # ("user", text) | ("tool", (name, out, error))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):   # content parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def read_request(body: dict[str, Any]) -> Conversation:
    """Messages and tools of a chat-completions request -> `Conversation`. Raises ValueError naming the field."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages: must be a non-empty list")
    system = " ".join(_text(m.get("content")) for m in messages if isinstance(m, dict) and
                      m.get("role") in ("system", "developer"))
    m = re.search(r"\b(\d{4}-\d{2}-\d{2})\b", system)
    today = date.fromisoformat(m.group(1)) if m else date.today()
    tools: dict[str, dict[str, Any]] = {}
    for i, t in enumerate(body.get("tools") or []):
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise ValueError(f"tools[{i}].function.name: missing")
        tools[fn["name"]] = fn.get("parameters") or {}
    conv = Conversation(today=today, tools=tools)
    names: dict[str, str] = {}
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or "role" not in msg:
            raise ValueError(f"messages[{i}].role: missing")
        role = msg["role"]
        if role == "user":
            conv.events.append(("user", _text(msg.get("content")).strip()))
        elif role == "assistant":
            for tc in msg.get("tool_calls") or []:
                names[tc.get("id", "")] = (tc.get("function") or {}).get("name", "")
        elif role == "tool":
            raw = _text(msg.get("content"))
            try:
                out: Any = json.loads(raw)
            except ValueError:
                out = raw
            error = isinstance(out, dict) and "error" in out
            conv.events.append(("tool", (names.get(msg.get("tool_call_id", ""), ""), out, error)))
    return conv


class Policy:
    """Deterministic decisions over a `Conversation` (one instance per server; it holds no call state)."""

    def __init__(self, *, reckless_identity: bool = False) -> None:
        self.reckless_identity = reckless_identity

    def complete(self, conv: Conversation) -> Completion:
        """The next assistant turn. Earlier patient turns are replayed through the same decisions, so the
        stage a text-only reply left the conversation in is known without reading that reply."""
        stage: Stage = "identity"
        options: list[str] = []
        silences = 0
        search: dict[str, Any] = {}
        reply = Completion(text="Hello, this is the clinic's assistant calling about an appointment.")
        for i, (kind, payload) in enumerate(conv.events):
            last = i == len(conv.events) - 1
            if kind == "tool":
                name, out, error = payload
                stage, options = _stage_after_tool(stage, name, out, error, options)
                if last:
                    reply = self._after_tool(name, out, error, search, options)
            else:
                silences = silences + 1 if payload == SILENCE else 0
                reply, nxt = self._after_user(conv, stage, payload, options, silences)
                if reply.tool_call is None:
                    stage = nxt
                elif reply.tool_call.name == "find_available_slots":
                    search = reply.tool_call.arguments
        return self._fit(conv, reply)

    # ---- after a tool result -----------------------------------------------------------------------
    def _after_tool(self, name: str, out: Any, error: bool, last_search: dict[str, Any],
                    options: list[str]) -> Completion:
        o = out if isinstance(out, dict) else {}
        if error:
            code = o.get("error")
            if code in ("identity_required", "identity_not_affirmed"):
                return Completion("Before I go on, could you confirm I'm speaking with the patient?")
            if code == "slot_taken":
                return Completion("Sorry, that time was just taken. Let me look again.",
                                  ToolCall("find_available_slots", dict(last_search)))
            if code == "no_such_option":
                return Completion("Which of the times I mentioned would you like?")
            if code == "no_front_desk":
                return Completion("I can't transfer you right now, but I can have someone call you back. "
                                  "Would that help?")
            return Completion("Sorry, something went wrong on my end. Could you say that again?")
        if name == "confirm_identity":
            return Completion(f"Thanks. Your appointment is {o.get('appointment', 'coming up soon')}. Can you make "
                              "it? You can also press 1 to confirm, 2 to reschedule, or 3 to cancel.")
        if name == "not_the_patient":
            return Completion(f"No problem. {o.get('message', '')} Thank you, goodbye.".replace("  ", " "))
        if name == "wrong_number":
            return Completion("Sorry for the mix-up, we won't call this number again. Goodbye.")
        if name == "stop_calling":
            return Completion("Of course. You won't get any more automated calls from us. Goodbye.")
        if name in ("confirm_appointment", "book_slot"):
            return Completion(f"You're all set for {o.get('appointment', 'your appointment')}. Thank you, goodbye.")
        if name == "find_available_slots":
            if not options:
                return Completion("I don't see anything free then. Is there another day or time that could work?")
            listed = options[0] if len(options) == 1 else ", ".join(options[:-1]) + f" or {options[-1]}"
            return Completion(f"I have {listed}. Which works best for you?")
        if name == "cancel_appointment":
            return Completion("It's cancelled. Would you like me to find you a new time instead?")
        if name == "schedule_callback":
            return Completion(f"Sure, we'll call you back {o.get('callback_at', 'later')}. Goodbye.")
        if name == "transfer_to_front_desk":
            return Completion("Connecting you to the front desk now.")
        if name == "lookup_clinic_fact":
            if o.get("known"):
                return Completion(f"{str(o.get('answer', '')).rstrip('.')}. Anything else I can help with?")
            return Completion("I don't have that information. I can transfer you to the front desk or have someone "
                              "call you back.")
        return Completion("Goodbye.")

    # ---- after a patient turn ----------------------------------------------------------------------
    def _after_user(self, conv: Conversation, stage: Stage, text: str, options: list[str],
                    silences: int) -> tuple[Completion, Stage]:
        if text == SILENCE or not text:
            if silences >= 3:
                return Completion("", ToolCall("end_call", {"reason": "silence"})), stage
            return Completion("Sorry, I didn't hear anything. Are you still there?"), stage
        it = classify(text, _CONTEXT.get(stage, "yes_no"))  # type: ignore[arg-type]
        label = it.intent
        if stage == "identity" and self.reckless_identity:
            return Completion("Thank you.", ToolCall("confirm_identity", {})), stage
        if label == "opt_out":
            return Completion("", ToolCall("stop_calling", {})), stage
        if label == "wrong_number":
            return Completion("", ToolCall("wrong_number", {})), stage
        if label == "human":
            return Completion("", ToolCall("transfer_to_front_desk", {})), stage
        if label == "not_patient" and (not it.negative or stage == "identity"):
            return Completion("", ToolCall("not_the_patient", {})), stage
        if label == "callback_later":
            now = datetime.combine(conv.today, time(12, 0), ZoneInfo("UTC"))
            return Completion("", ToolCall("schedule_callback", callback_args(text, now, ZoneInfo("UTC")))), stage
        if stage == "identity":
            if label == "confirm":
                return Completion("Thank you.", ToolCall("confirm_identity", {})), stage
            if label == "question":
                return Completion("I'm the clinic's automated assistant, calling about an appointment. I can share "
                                  "the details once I know I'm speaking with the patient. Is that you?"), stage
            return Completion("Sorry, could you tell me whether I'm speaking with the patient?"), stage
        return self._with_identity(conv, stage, text, it, options)

    def _with_identity(self, conv: Conversation, stage: Stage, text: str, it: Intent,
                       options: list[str]) -> tuple[Completion, Stage]:
        label = it.intent
        has_pref = not parse_preference(text, today=conv.today).is_empty
        search = ToolCall("find_available_slots", preference_args(text, conv.today))
        if stage == "offer":
            choice = match_option(text, options, it, bare_yes=not it.negative)
            if choice is not None:
                return Completion("", ToolCall("book_slot", {"option": choice})), stage
            if has_pref:
                return Completion("Let me check.", search), stage
            if it.negative or label == "cancel":
                return Completion("No problem. What day or time would suit you better?"), "ask_preference"
            return Completion("Which of those times would you like?"), stage
        if label == "question":
            return Completion("", ToolCall("lookup_clinic_fact", {"topic": text})), stage
        if stage == "ask_preference" and label != "cancel":
            return Completion("Let me check.", search), stage
        if label == "cancel":
            if stage in ("cancel_check", "resched_or_cancel") or it.dtmf:
                return Completion("", ToolCall("cancel_appointment", {})), stage
            return Completion("Just to be sure, you'd like to cancel the appointment?"), "cancel_check"
        if label == "confirm":
            if stage == "cancel_check":
                return Completion("", ToolCall("cancel_appointment", {})), stage
            if stage in ("rebook_offer", "resched_or_cancel"):
                return Completion("What day or time works best for you?"), "ask_preference"
            return Completion("", ToolCall("confirm_appointment", {})), stage
        if label == "reschedule":
            if it.negative and stage == "cancel_check":
                return Completion("Okay, I'll keep it. Can you make it then?"), "appointment"
            if it.negative and stage == "rebook_offer":
                return Completion("", ToolCall("end_call", {"reason": "goodbye"})), stage
            if it.negative and stage == "appointment" and not it.dtmf:
                return Completion("Would you like another time, or should I cancel it?"), "resched_or_cancel"
            if has_pref:
                return Completion("Let me check.", search), stage
            return Completion("Sure. What day or time works better for you?"), "ask_preference"
        if stage == "rebook_offer" and (it.negative or re.search(r"\b(bye|goodbye)\b", text.lower())):
            return Completion("", ToolCall("end_call", {"reason": "goodbye"})), stage
        return Completion("Sorry, I didn't quite get that. Can you make the appointment? You can also press 1 to "
                          "confirm, 2 to reschedule, or 3 to cancel."), stage

    # ---- schema -----------------------------------------------------------------------------------------
    def _fit(self, conv: Conversation, reply: Completion) -> Completion:
        """Only tools that were offered; arguments restricted to the schema, every required one present."""
        call = reply.tool_call
        if call is None:
            return reply
        if call.name not in conv.tools:
            return Completion(reply.text or "Sorry, could you say that again?")
        schema = conv.tools[call.name]
        props: dict[str, Any] = schema.get("properties") or {}
        args = {k: v for k, v in call.arguments.items() if k in props}
        for key in schema.get("required") or []:
            if key not in args:
                default = props.get(key, {}).get("default")
                args[key] = default
        return Completion(reply.text, ToolCall(call.name, args))


def _stage_after_tool(stage: Stage, name: str, out: Any, error: bool, options: list[str]) -> tuple[Stage, list[str]]:
    if error:
        return stage, options
    o = out if isinstance(out, dict) else {}
    if name == "confirm_identity":
        return "appointment", options
    if name == "find_available_slots":
        opts = [str(x.get("time", "")) for x in o.get("options", []) if isinstance(x, dict)]
        return ("offer" if opts else "ask_preference"), opts
    if name == "cancel_appointment":
        return "rebook_offer", options
    if name in TERMINAL_TOOLS:
        return "closing", options
    return stage, options
