"""The record of one call kept on its attempt: transcript (turns, tool calls, timestamps), summary,
usage and cost, and the final outcome written through the dialer's `clinic.outcomes.finish_attempt`
(which also applies the retry policy for non-final results)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from agent.call_context import CallInfo
from agent.call_state import CallState
from agent.events import CallEvents
from clinic import outcomes
from clinic.appointments.models import Attempt, Outcome
from clinic.db import connection, retry_while_unreachable
from clinic.settings import get_settings

# The summary staff read for each outcome (every outcome has one: tests/clinic/test_appointment_enums.py).
SUMMARIES: dict[Outcome, str] = {
    Outcome.CONFIRMED: "Patient confirmed the appointment.",
    Outcome.RESCHEDULED: "Patient moved the appointment to {appointment}.",
    Outcome.CANCELLED: "Patient cancelled the appointment and did not rebook.",
    Outcome.CALLBACK_REQUESTED: "Asked to be called back later.",
    Outcome.NOT_PATIENT: "Someone other than the patient answered; asked them to have the patient call back.",
    Outcome.WRONG_NUMBER: "Wrong number; number added to the do-not-call list.",
    Outcome.OPTED_OUT: "Asked not to be called again; number added to the do-not-call list.",
    Outcome.TRANSFERRED: "Transferred to the front desk.",
    Outcome.VOICEMAIL_LEFT: "Reached voicemail; left the clinic name and callback number only.",
    Outcome.HUNG_UP: "Call ended before a decision.",
    Outcome.NO_ANSWER: "No answer.",
    Outcome.BUSY: "Line busy.",
    Outcome.REJECTED: "Call declined.",
    Outcome.FAILED: "Call could not be placed.",
    Outcome.LOST: "Call interrupted on our side before a result; tried again if the appointment is still open.",
}


STAGE_METRICS = ("end_of_turn_delay", "transcription_delay", "on_user_turn_completed_delay", "llm_node_ttft",
                 "tts_node_ttfb", "e2e_latency")


def stage_metrics(report: Any) -> dict[str, Any]:
    """LiveKit's per-turn latency for one message (`ChatMessage.metrics`: end-of-turn delay and STT on the
    patient's turn; LLM time to first token, TTS time to first byte and end-to-end on the agent's), kept on
    the transcript entry so bench/voice_latency.py can put the pipeline's stages beside what the phone heard."""
    if not report:
        return {}
    stages = {k: round(float(report[k]), 4) for k in STAGE_METRICS if isinstance(report.get(k), int | float)}
    return {"metrics": stages} if stages else {}


class CallRecord:
    def __init__(self, call: CallInfo, events: CallEvents) -> None:
        self.call = call
        self.events = events
        self.t0 = time.monotonic()
        self.entries: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.session: Any = None

    def _stamp(self) -> dict[str, Any]:
        return {"t": round(time.monotonic() - self.t0, 3), "at": datetime.now().astimezone().isoformat()}

    def _publish(self, **fields: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self.events.emit("transcript", **fields))
        except RuntimeError:
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def add_turn(self, role: str, text: str, **extra: Any) -> None:
        if not text:
            return
        self.entries.append({**self._stamp(), "role": role, "text": text, **extra})
        self._publish(role=role, text=text, filler=bool(extra.get("filler")))

    def filler(self, text: str) -> None:
        self.add_turn("agent", text, filler=True)

    def attach(self, session: Any, agent: Any) -> None:
        self.session = session
        agent.on_filler = self.filler
        agent.on_pickup = lambda text: self.add_turn("patient", text, pickup=True)

        @session.on("conversation_item_added")
        def _item(ev: Any) -> None:
            item = ev.item
            if getattr(item, "type", None) != "message" or item.role not in ("user", "assistant"):
                return
            self.add_turn("patient" if item.role == "user" else "agent", item.text_content or "",
                          **stage_metrics(getattr(item, "metrics", None)))

        @session.on("function_tools_executed")
        def _tools(ev: Any) -> None:
            for fc, out in zip(ev.function_calls, ev.function_call_outputs, strict=False):
                self.entries.append({**self._stamp(), "role": "tool", "name": fc.name, "arguments": fc.arguments,
                                     "ok": not (out.is_error if out is not None else False)})

    def usage(self) -> dict[str, Any]:
        """Token and audio usage per model, plus the characters spoken (what TTS bills)."""
        models: list[dict[str, Any]] = []
        if self.session is not None:
            for u in self.session.usage.model_usage:
                models.append(u.model_dump() if hasattr(u, "model_dump") else dict(vars(u)))
        spoken = sum(len(e["text"]) for e in self.entries if e["role"] == "agent")
        return {"models": models, "tts_characters": spoken,
                "call_seconds": round(time.monotonic() - self.t0, 3)}

    def cost(self, usage: dict[str, Any], *, audio: bool) -> float:
        p = get_settings().agent_prices
        total = 0.0
        for m in usage["models"]:
            if m.get("type") == "llm_usage":
                total += m.get("input_tokens", 0) / 1000 * p.get("llm_input_per_1k_tokens", 0)
                total += m.get("output_tokens", 0) / 1000 * p.get("llm_output_per_1k_tokens", 0)
        if audio:
            minutes = usage["call_seconds"] / 60
            total += minutes * (p.get("stt_per_minute", 0) + p.get("sip_per_minute", 0))
            total += usage["tts_characters"] / 1000 * p.get("tts_per_1k_chars", 0)
        return round(total, 5)

    def summary(self, outcome: Outcome | str, state: CallState | None) -> str:
        text = SUMMARIES[Outcome(outcome)].format(appointment=self.call.appointment_phrase())
        if state is not None and state.end_reason in ("silence", "unclear"):
            text += f" Ended after repeated {state.end_reason}."
        elif state is not None and state.end_reason in ("no_choice", "declined"):
            text += " Was offered new times but picked none and declined a callback; appointment left unchanged."
        if state is not None and state.outcome == "cancelled" and outcome == "rescheduled":
            text = "Cancelled, then rebooked: " + text
        return text

    async def finish(self, outcome: Outcome | str, state: CallState | None, *, now: datetime, audio: bool,
                     extra: dict[str, Any] | None = None) -> Attempt:
        """Store everything on the attempt (idempotent: a finished attempt is left as it was)."""
        usage = self.usage()
        cost = self.cost(usage, audio=audio)
        summary = self.summary(outcome, state)
        fields: dict[str, Any] = {"transcript": self.entries, "summary": summary, "usage": usage, "cost_usd": cost}
        fields.update(extra or {})

        def _write() -> Attempt:
            with connection() as conn:
                return outcomes.finish_attempt(conn, self.call.attempt_id, outcome, now=now, fields=fields)

        # The call is over and this is the only copy of its result: wait out a Postgres restart rather than
        # leave the attempt for the reaper to call `lost` (and the patient to be dialed again).
        row = await asyncio.to_thread(retry_while_unreachable, _write, what="call outcome")
        await self.events.emit("call_summary", outcome=row.outcome, summary=summary,
                               duration_seconds=usage["call_seconds"], cost_usd=cost)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        return row


def final_outcome(state: CallState) -> Outcome:
    """The attempt's outcome: the last decision taken, else why the call ended without one."""
    if state.outcome == Outcome.TRANSFERRED and state.transfer_error:
        return Outcome.FAILED
    if state.outcome:
        return Outcome(state.outcome)
    if state.end_reason == "silence":
        return Outcome.NO_ANSWER
    return Outcome.HUNG_UP
