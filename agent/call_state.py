"""What has happened on this call so far: the facts the tools decide on and the outcome recorded at the end."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from clinic.appointments.models import Outcome

EndAction = Literal["hangup", "transfer"]
# What the agent's last words asked (or did), which decides how the next reply is read. "clarify" and
# "silence" are re-asks of the current question (they count towards giving up and leave the stage as it is);
# "close" is a goodbye.
DialogueStage = Literal["identity", "ask_knows", "ask_appointment", "offer", "offer_reask", "offer_callback",
                        "callback_offer", "cancel_check", "ask_preference", "rebook_offer", "resched_or_cancel",
                        "transfer_offer", "clarify", "silence", "close", "other"]


@dataclass
class Dialogue:
    """The scripted policy's dialogue state, kept on the call's state (not recovered from its own sentences).

    The policy moves it with every reply it gives (`said`); the tools that open a question move it too
    (`opened`: identity confirmed -> the appointment question, slots found -> times on offer, cancelled ->
    the offer to rebook), so after a model answered turns and then failed, the script knows where it is."""

    stage: DialogueStage = "identity"
    unclear_streak: int = 0
    silence_streak: int = 0
    set_by: Literal["policy", "tool"] = "policy"
    agent_turns: int = 0     # agent messages in the chat once the policy's last reply is in it
    # Was the agent's line that the callee's latest turn answers played to the end? False when the callee
    # spoke over it (LiveKit's SpeechHandle.interrupted, kept on the chat message): a question the callee
    # did not hear to the end was not asked, so a "yes" then does not answer it (above all the identity
    # question: the callee may have been saying "yes, who's calling?" over "Am I speaking with Maria?").
    last_line_heard: bool = True

    def said(self, kind: str, agent_turns: int) -> None:
        """The policy replied with a turn of this kind, the `agent_turns`-th agent message ("filler" lines,
        said while a tool runs, ask nothing and leave the stage as it was)."""
        self.agent_turns = agent_turns
        if kind == "filler":
            return
        # A re-ask ("sorry, I didn't hear anything. Which of those times works best?") asks the same question
        # again: the stage stays, so "the first one" after it is still a pick from the times on offer (read as
        # "yes" to a stage called "silence", it confirmed the old appointment instead).
        self.set_by = "policy"      # this policy asked the stage's question itself (a model did not)
        if kind == "clarify":
            self.unclear_streak += 1
            return
        if kind == "silence":
            self.silence_streak += 1
            return
        self.stage = kind  # type: ignore[assignment]
        self.unclear_streak = self.silence_streak = 0

    def opened(self, stage: DialogueStage) -> None:
        """A tool's success opened this question (whichever brain called it)."""
        self.stage = stage
        self.set_by = "tool"
        self.unclear_streak = self.silence_streak = 0


def agent_line_heard(items: Sequence[Any], greeting_heard: bool = True) -> bool:
    """Whether the agent's last line before the callee's latest turn was heard to the end: the latest
    assistant message before the latest user message is not marked `interrupted`. With no such message
    (the greeting was cut off before any of it was spoken, so LiveKit kept none) `greeting_heard` decides."""
    last_user = max((i for i, it in enumerate(items) if it.type == "message" and it.role == "user"), default=None)
    if last_user is None:
        return True
    before = [it for it in items[:last_user] if it.type == "message" and it.role == "assistant"]
    if not before:
        return greeting_heard
    return not before[-1].interrupted


@dataclass
class CallState:
    identity_confirmed: bool = False
    outcome: Outcome | None = None      # the decisive outcome so far (last decision wins)
    offered: list[dict[str, Any]] = field(default_factory=list)   # slots offered in the last search
    offered_ids: set[int] = field(default_factory=set)
    end_action: EndAction | None = None  # set by a terminal tool; done after the goodbye plays
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    end_reason: str | None = None
    transfer_error: str | None = None
    last_patient_text: str = ""      # the latest patient turn, for confirm_identity's own check
    dialogue: Dialogue = field(default_factory=Dialogue)
    greeting_heard: bool = True      # the greeting's SpeechHandle was not interrupted (set when it ends)

    def decide(self, outcome: Outcome | str) -> None:
        self.outcome = Outcome(outcome)

    def close_after_reply(self, action: EndAction = "hangup") -> None:
        self.end_action = action


# The call whose turn the brain is answering: set by the agent's llm_node, read by the scripted policy (the
# LLM stream runs in a task created inside llm_node, so it sees this call's value and no other's).
_CURRENT: ContextVar[CallState | None] = ContextVar("call_state", default=None)


def bind_current(state: CallState) -> None:
    _CURRENT.set(state)


def current() -> CallState | None:
    return _CURRENT.get()
