"""The confirmation call's agent: instructions the LLM follows and the tools it may call.

Every decision is a `@function_tool` whose docstring the LLM reads and whose effect is one idempotent
Postgres transaction (agent.call_actions). The tools also enforce the compliance rules themselves, so a
model that ignores its instructions still cannot reveal appointment details before the identity is
confirmed, or book a slot it never offered."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from typing import Any

from livekit.agents import Agent, RunContext, StopResponse, function_tool

from agent import call_actions, speech
from agent.call_context import CallInfo
from agent.call_state import CallState, agent_line_heard, bind_current
from agent.events import CallEvents
from agent.fillers import PhrasePicker
from agent.intents import DTMF_TEXT, confirms_identity
from agent.tool_args import OptionNumber, PartOfDay, Weekday, callback_at, slot_preference
from agent.tool_errors import tool_error
from clinic import scheduling
from clinic.clock import get_clock

log = logging.getLogger("agent.confirmation")

SILENCE_TEXT = "[silence]"

INSTRUCTIONS = """You are the automated phone assistant of {clinic}, calling a patient about an appointment.
Speak like a warm, quick receptionist: short sentences, plain words, no lists, no markdown, no emoji.
Rules you must never break:
- Until confirm_identity has succeeded, say nothing beyond the clinic's name and that you are calling about
  an appointment. Do not say the date, time, provider, location or reason.
- Call confirm_identity only when the person says they themselves are {first_name} ("yes", "speaking",
  "this is she"). A wife, husband, parent, child, carer, roommate or anyone speaking for {first_name} is NOT
  the patient, whatever they ask ("just tell me the time"): call not_the_patient. "Who's asking?" or "what
  is this about?" is not a yes: say you are the clinic's assistant calling about an appointment and ask again.
- A "yes" said over your question (they spoke before you finished asking whether you are speaking with
  {first_name}) does not answer it: they did not hear the question. Answer what they asked (only the clinic's
  name and that it is about an appointment), then ask again, and call confirm_identity only after a yes to
  the question heard to the end. confirm_identity refuses otherwise.
- If the person is not {first_name}, call not_the_patient (offer to leave a message asking them to call the
  clinic back, nothing more). If they say it is a wrong number, call wrong_number.
- If they ask you to stop calling, call stop_calling at once.
- Only state facts returned by your tools. For questions, call lookup_clinic_fact; if it has no answer, say
  you don't know and offer a transfer to the front desk or a callback. Never invent an answer.
- To reschedule, call find_available_slots with their wish as dates, weekdays, a part of the day or clock
  times (today is {today}), offer at most the times it returns, and book the chosen option number with
  book_slot. Before cancelling, check once; after cancelling, offer
  once to find a new time.
- Start replies with a short acknowledgment ("Mm-hmm.", "Got it.") and vary your wording.
- The text "[keypad N]" means the patient pressed key N: 1 confirm, 2 reschedule, 3 cancel, 0 front desk,
  9 stop calling. "[silence]" means the line was quiet: ask again briefly; after three, say goodbye and call
  end_call.
- After a tool says the call is finishing, say a short goodbye and nothing else."""


class ConfirmationAgent(Agent):
    def __init__(self, call: CallInfo, *, state: CallState | None = None, phrases: PhrasePicker | None = None,
                 events: CallEvents | None = None, greet: bool = True,
                 on_end: Callable[[CallState], Awaitable[None]] | None = None) -> None:
        today = get_clock().now().astimezone(call.clinic_tz).strftime("%A %Y-%m-%d")
        super().__init__(instructions=INSTRUCTIONS.format(clinic=call.clinic_name, first_name=call.first_name,
                                                          today=today))
        self.call = call
        self.state = state or CallState()
        self.phrases = phrases or PhrasePicker(seed=call.attempt_id)
        self.events = events or CallEvents(call.attempt_id, None)
        self._greet = greet
        self._on_end = on_end
        self._end_task: asyncio.Task[None] | None = None
        self.filler_delays: list[float] = []   # seconds from tool start to filler queued (bench)
        self.on_filler: Callable[[str], None] | None = None
        # Wall-clock time (time.time(), LiveKit's clock for speech timestamps) the agent was first heard: its
        # greeting. Set by the transport; words that ended before it are the pick-up, not an answer.
        self.first_spoke_at: float | None = None
        self.on_pickup: Callable[[str], None] | None = None

    # ---- speech helpers -------------------------------------------------------------------------
    def greeting(self) -> str:
        """Disclosure first: who is calling (an automated assistant for the clinic) and about what."""
        hour = get_clock().now().astimezone(self.call.tz).hour
        return (f"{speech.greeting_for(hour)}! This is the automated assistant calling for {self.call.clinic_name} "
                f"about an upcoming appointment. Am I speaking with {self.call.first_name}?")

    async def on_enter(self) -> None:
        if self._greet:
            self.say_greeting(self.session)

    def say_greeting(self, session: Any, **kwargs: Any) -> Any:
        """Say the greeting (which asks the identity question) and note on the call state whether it was
        heard to the end: a callee who spoke over it did not hear "Am I speaking with ...?" (see
        `agent.call_state.agent_line_heard`, which falls back on this when LiveKit kept none of it)."""
        handle = session.say(self.greeting(), **kwargs)

        def _done(h: Any) -> None:
            self.state.greeting_heard = not h.interrupted

        handle.add_done_callback(_done)
        return handle

    def now(self) -> datetime:
        return get_clock().now()

    async def _filler(self, ctx: RunContext, kind: str, t0: float) -> None:
        """Speak a filler right away (the DB work follows); the delay since the tool started is kept."""
        text = self.phrases.lookup() if kind == "lookup" else self.phrases.saving()
        # Not added to the chat context (the model needn't read it); the call record hears it via on_filler.
        ctx.session.say(text, add_to_chat_ctx=False)
        self.filler_delays.append(asyncio.get_running_loop().time() - t0)
        if self.on_filler is not None:
            self.on_filler(text)

    async def _tool_event(self, ctx: RunContext, status: str, detail: str | None = None) -> None:
        await self.events.emit("tool_call", name=ctx.function_call.name, status=status,
                               call_id=ctx.function_call.call_id, detail=detail)

    def _require_identity(self) -> None:
        if not self.state.identity_confirmed:
            raise tool_error("identity_required", "identity not confirmed yet: ask whether you are speaking with the "
                             "patient first")

    def _finish_after_reply(self, ctx: RunContext, action: str = "hangup") -> None:
        """Terminal decision: the goodbye (this turn's reply) plays, then hang up or transfer."""
        self.state.close_after_reply(action)  # type: ignore[arg-type]
        if self._end_task is None:
            self._end_task = asyncio.create_task(self._end_after(ctx.speech_handle))

    async def _end_after(self, handle: Any) -> None:
        try:
            await handle.wait_for_playout()
        finally:
            if self._on_end is not None:
                await self._on_end(self.state)
            self.state.ended.set()

    async def _run_tool(self, ctx: RunContext, fn: Callable[[], Any], filler: str | None = "lookup") -> Any:
        """Filler first, then the blocking DB call off the event loop, with a longer-wait filler if slow."""
        t0 = asyncio.get_running_loop().time()
        await self._tool_event(ctx, "started")
        if filler:
            await self._filler(ctx, filler, t0)
        try:
            async with ctx.with_filler(self.phrases.still_working, delay=2.5, interval=4.0, max_steps=2):
                result = await asyncio.to_thread(fn)
        except scheduling.SlotTaken:
            await self._tool_event(ctx, "error", "slot taken")
            raise
        except Exception as exc:
            await self._tool_event(ctx, "error", type(exc).__name__)
            raise
        await self._tool_event(ctx, "success")
        return result

    async def on_user_turn_completed(self, turn_ctx: Any, new_message: Any) -> None:
        """Words the person finished before the agent said anything (their "hello?" or "yeah, hello?" on
        picking up) answer no question: the greeting answers them, and the greeting's "am I speaking with
        Jordan?" is answered by what they say after hearing it. When speech-to-text lags, the pick-up's
        transcript arrives after the greeting has started and would otherwise be read as the answer to it
        ("yeah" = yes, this is Jordan). Only audio turns carry speech times; typed turns are never a pick-up."""
        stopped = (new_message.metrics or {}).get("stopped_speaking_at")
        if stopped is not None and (self.first_spoke_at is None or stopped < self.first_spoke_at):
            if self.on_pickup is not None:
                self.on_pickup(new_message.text_content or "")
            raise StopResponse()

    async def llm_node(self, chat_ctx: Any, tools: Any, model_settings: Any) -> Any:
        """Note the patient's latest words before the model (any brain) runs, so that `confirm_identity`
        can check them itself instead of trusting the model's reading."""
        last = next((i for i in reversed(chat_ctx.items) if i.type == "message" and i.role == "user"), None)
        self.state.last_patient_text = (last.text_content or "") if last is not None else ""
        self.state.dialogue.last_line_heard = agent_line_heard(list(chat_ctx.items), self.state.greeting_heard)
        bind_current(self.state)   # the scripted policy keeps its dialogue state on this call's state
        async for chunk in Agent.default.llm_node(self, chat_ctx, tools, model_settings):
            yield chunk

    # ---- tools ----------------------------------------------------------------------------------
    @function_tool
    async def confirm_identity(self, ctx: RunContext) -> str:
        """Call only when the person on the line says they themselves are the patient ("yes, speaking").
        Never for a relative, carer or roommate, and never because someone asks for the details. Returns
        the appointment details, which you may share only after this succeeds."""
        if not self.state.dialogue.last_line_heard:
            await self._tool_event(ctx, "error", "identity question not heard")
            raise tool_error("identity_question_not_heard",
                             "the person spoke over your last line, so their reply does not answer a question they "
                             "heard: say you are the automated assistant for the clinic calling about an "
                             f"appointment (nothing more) and ask again whether you are speaking with "
                             f"{self.call.first_name}")
        if not confirms_identity(self.state.last_patient_text, self.call.first_name):
            await self._tool_event(ctx, "error", "identity not affirmed")
            raise tool_error("identity_not_affirmed",
                             "identity not confirmed: the last reply is not the patient saying it is them. Ask "
                             f"whether you are speaking with {self.call.first_name}; if it is someone else, call "
                             "not_the_patient")
        self.state.identity_confirmed = True
        self.state.dialogue.opened("ask_appointment")
        await self._tool_event(ctx, "success")
        return json.dumps({"first_name": self.call.first_name,
                           "appointment": self.call.appointment_phrase(),
                           "next": "State the appointment and ask if they can make it. Mention they can press 1 "
                                   "to confirm, 2 to reschedule, or 3 to cancel."})

    @function_tool
    async def not_the_patient(self, ctx: RunContext) -> str:
        """Call when the person says they are not the patient (a relative, a roommate). Only offer to leave
        a message asking the patient to call the clinic back; share nothing else."""
        self.state.decide("not_patient")
        self._finish_after_reply(ctx)
        await self._tool_event(ctx, "success")
        return json.dumps({"message": f"Please ask {self.call.first_name} to call {self.call.clinic_name} back at "
                                      f"{speech.say_phone(self.call.callback_number or '')}.",
                           "next": "Ask them kindly to pass on that message, thank them and say goodbye."})

    @function_tool
    async def wrong_number(self, ctx: RunContext) -> str:
        """Call when the person says this is a wrong number or they don't know the patient. The number is
        added to the do-not-call list for this patient."""
        await self._run_tool(ctx, lambda: call_actions.add_to_dnc(self.call, "wrong_number"), filler=None)
        self.state.decide("wrong_number")
        self._finish_after_reply(ctx)
        return json.dumps({"done": True, "next": "Apologise for the mix-up, say we won't call again, goodbye."})

    @function_tool
    async def stop_calling(self, ctx: RunContext) -> str:
        """Call as soon as the person asks not to be called again. Adds the number to the do-not-call list."""
        await self._run_tool(ctx, lambda: call_actions.add_to_dnc(self.call, "patient_request"), filler=None)
        self.state.decide("opted_out")
        self._finish_after_reply(ctx)
        return json.dumps({"done": True, "next": "Confirm they won't get more automated calls; polite goodbye."})

    @function_tool
    async def confirm_appointment(self, ctx: RunContext) -> str:
        """Call when the patient confirms they will come to the appointment."""
        self._require_identity()
        status = await self._run_tool(ctx, lambda: call_actions.confirm(self.call, self.now()), filler="saving")
        self.state.decide("rescheduled" if status == "rescheduled" else "confirmed")
        self._finish_after_reply(ctx)
        return json.dumps({"confirmed": True, "appointment": self.call.appointment_phrase(),
                           "next": "Thank them, say you look forward to seeing them, goodbye."})

    @function_tool
    async def find_available_slots(self, ctx: RunContext, part_of_day: PartOfDay | None = "any",
                                   earliest_date: date | None = None, latest_date: date | None = None,
                                   weekdays: list[Weekday] | None = None, not_before: time | None = None,
                                   not_after: time | None = None) -> str:
        """Search free appointment times that fit what the patient asked for. Leave everything empty for
        "any time". Today's date is in your instructions.

        Args:
            part_of_day: morning (before 12), afternoon (12-5 pm), evening (after 5 pm), or any.
            earliest_date: first acceptable day (YYYY-MM-DD), e.g. next Monday for "next week".
            latest_date: last acceptable day (YYYY-MM-DD); the same as earliest_date for one day.
            weekdays: only these days of the week ("tuesdays or thursdays").
            not_before: earliest clinic-local time (HH:MM), e.g. "15:00" for "after 3".
            not_after: latest clinic-local time (HH:MM), e.g. "11:00" for "before 11".
        """
        self._require_identity()
        pref = slot_preference(today=self.now().astimezone(self.call.clinic_tz).date(), earliest_date=earliest_date,
                               latest_date=latest_date, weekdays=weekdays, part_of_day=part_of_day or "any",
                               not_before=not_before, not_after=not_after)
        slots = await self._run_tool(
            ctx, lambda: call_actions.find_slots(self.call, pref, self.now(),
                                                 exclude=frozenset(self.state.offered_ids)))
        if not slots and self.state.offered_ids:
            slots = await asyncio.to_thread(call_actions.find_slots, self.call, pref, self.now())
        self.state.offered = slots
        self.state.offered_ids |= {s["id"] for s in slots}
        self.state.dialogue.opened("offer" if slots else "ask_preference")
        options = [speech.say_slot_short(s["starts_at"].astimezone(self.call.clinic_tz)) for s in slots]
        return json.dumps({"options": [{"option": i + 1, "time": o} for i, o in enumerate(options)],
                           "next": "Offer these times (no others) and ask which works." if options else
                           "Say nothing is free then and ask for another day or time."})

    @function_tool
    async def book_slot(self, ctx: RunContext, option: OptionNumber) -> str:
        """Book one of the times just offered by find_available_slots, moving the appointment there.

        Args:
            option: the option number (1, 2 or 3) the patient chose.
        """
        self._require_identity()
        if not 1 <= option <= len(self.state.offered):
            raise tool_error("no_such_option", f"option must be between 1 and {len(self.state.offered)}: offer times "
                             "first")
        slot = self.state.offered[option - 1]
        try:
            await self._run_tool(ctx, lambda: call_actions.book(self.call, slot["id"], self.now()), filler="saving")
        except scheduling.SlotTaken:
            self.state.offered = []
            raise tool_error("slot_taken", "that time was just taken by someone else: apologise and search again") \
                from None
        self.state.decide("rescheduled")
        self._finish_after_reply(ctx)
        return json.dumps({"booked": True, "appointment": self.call.appointment_phrase(),
                           "next": "Confirm the new time back to them, thank them, goodbye."})

    @function_tool
    async def cancel_appointment(self, ctx: RunContext) -> str:
        """Cancel the appointment. Only call after the patient confirmed once that they want to cancel."""
        self._require_identity()
        await self._run_tool(ctx, lambda: call_actions.cancel(self.call, self.now()), filler="saving")
        self.state.decide("cancelled")
        self.state.dialogue.opened("rebook_offer")
        return json.dumps({"cancelled": True,
                           "next": "Say it is cancelled and offer once to find a new time instead."})

    @function_tool
    async def schedule_callback(self, ctx: RunContext, day: date | None = None, part_of_day: PartOfDay | None = "any",
                                at: time | None = None, in_minutes: int | None = None) -> str:
        """Record that the person wants a call back later. Leave everything empty if they did not say when.

        Args:
            day: the day they asked for (YYYY-MM-DD), empty for today.
            part_of_day: morning, afternoon or evening if that is all they said.
            at: the clinic-local time (HH:MM) they asked for ("after 5" -> "17:00").
            in_minutes: for "in an hour" / "in twenty minutes": minutes from now.
        """
        when = callback_at(now=self.now(), tz=self.call.clinic_tz, day=day, part_of_day=part_of_day or "any", at=at,
                           in_minutes=in_minutes)
        at_time = await self._run_tool(ctx, lambda: call_actions.request_callback(self.call, when, self.now()),
                                       filler="saving")
        self.state.decide("callback_requested")
        self._finish_after_reply(ctx)
        local = at_time.astimezone(self.call.clinic_tz)
        return json.dumps({"callback_at": speech.say_when(local), "next": "Tell them when we'll call back; goodbye."})

    @function_tool
    async def transfer_to_front_desk(self, ctx: RunContext) -> str:
        """Transfer the call to a person at the clinic's front desk (when the patient asks for a person, or a
        question can't be answered and they want a transfer)."""
        if not self.call.clinic.transfer_number:
            raise tool_error("no_front_desk", "this clinic has no front-desk number: offer a callback instead")
        self.state.decide("transferred")
        self._finish_after_reply(ctx, "transfer")
        await self._tool_event(ctx, "success")
        return json.dumps({"next": "Say you are connecting them to the front desk now. One short sentence."})

    @function_tool
    async def lookup_clinic_fact(self, ctx: RunContext, topic: str) -> str:
        """Look up a fact about the clinic to answer a question (address, parking, what to bring,
        preparation, or the appointment itself). Answer only with what this returns.

        Args:
            topic: the patient's question in their words.
        """
        self._require_identity()
        answer = answer_from_facts(topic, self.call, self.state.identity_confirmed)
        await self._tool_event(ctx, "success")
        if answer is None:
            return json.dumps({"known": False, "next": "Say you don't have that information and offer to transfer "
                                                      "them to the front desk or have someone call back."})
        return json.dumps({"known": True, "answer": answer})

    @function_tool
    async def end_call(self, ctx: RunContext, reason: str) -> str:
        """End the call politely (the person said goodbye, or repeated silence or unclear replies).

        Args:
            reason: short reason, e.g. "goodbye", "silence", "unclear".
        """
        self.state.end_reason = reason
        self._finish_after_reply(ctx)
        await self._tool_event(ctx, "success")
        return json.dumps({"next": "Say a short goodbye."})


# Whole words / phrases only (matched on word boundaries): substring matching sent "Do you take Medicare?" to
# the parking answer ("car" in "Medicare"). Most specific first: "where do I park" is about parking, not the
# address. Bare "lot" and "insurance" are left out on purpose ("thanks a lot", "do you take my insurance?").
_FACT_TOPICS: dict[str, tuple[str, ...]] = {
    "parking": ("park", "parking", "parked", "car", "cars", "parking lot", "garage", "valet"),
    "what_to_bring": ("bring", "need to have", "documents", "insurance card", "id", "photo id", "paperwork"),
    "preparation": ("prepare", "preparation", "early", "fast", "fasting", "eat", "arrive",
                    "before the appointment", "check in"),
    "address": ("address", "where", "located", "location", "directions", "get there", "find you"),
}
_APPOINTMENT_WORDS = ("when", "what time", "which day", "what day", "who", "which doctor", "with whom")


def _words_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(p).replace(r"\ ", r"[\s-]+") for p in phrases) + r")\b")


_TOPIC_PATTERNS = {key: _words_pattern(words) for key, words in _FACT_TOPICS.items()}
_APPOINTMENT_PATTERN = _words_pattern(_APPOINTMENT_WORDS)


def answer_from_facts(question: str, call: CallInfo, identity_confirmed: bool) -> str | None:
    """Answer from the clinic's stored facts only. None = not known: the agent must say it doesn't have that
    information and offer a transfer or a callback, never invent. Keywords match whole words, so a topic
    nobody stored (insurance plans, languages spoken) falls through to None instead of a look-alike fact."""
    q = " ".join(question.lower().split())
    for key, value in call.facts.items():   # clinic-specific extras are the most specific names
        if key not in _FACT_TOPICS and _words_pattern((key.replace("_", " ").lower(),)).search(q):
            return value
    for key, pattern in _TOPIC_PATTERNS.items():
        if pattern.search(q):   # the first topic asked about decides; no stored fact -> unknown, not a neighbour
            return call.facts.get(key) or None
    if identity_confirmed and _APPOINTMENT_PATTERN.search(q):
        return f"Your appointment is {call.appointment_phrase()}."
    return None


def dtmf_text(digit: str) -> str:
    return DTMF_TEXT.format(digit=digit)
