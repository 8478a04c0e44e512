"""Agent benchmark: the agent's own work per patient turn, and the delay from a tool call to its filler.

Whole text-mode calls (confirm, reschedule, a question) run against a throwaway Postgres database and
the LiveKit stand-in with the scripted brain, so there is no model latency to exclude (the brain's time
counts as ours). Per patient turn:

- first reply (the headline, target p95 <= 10 ms): the patient's final text reaching the session
  (`session.run`) -> the first agent text (reply or tool filler) handed to the speech stage
  (`Agent.transcription_node`, which in audio mode feeds the TTS node the same text). Postgres round
  trips before that point are inside it; those awaited while the filler is already speaking are not.
- whole turn: `session.run` -> done (every LLM step, every tool with its Postgres transaction).
- ours: wall time inside our code during the turn (policy, tool bodies incl. their DB work).
- tool call -> filler: from a DB tool starting to its filler being queued (`session.say`) and to the
  filler text reaching the speech stage (target <= 300 ms).
- framework floor: the same LiveKit text-mode session with a do-nothing LLM and an agent without tools
  or DB, i.e. what the framework's pipeline costs per turn by itself.
Usage: python bench/agent_turn.py [--calls N] [--floor-turns N] [--no-gc-freeze]
BENCH_DEBUG=1 prints every turn; BENCH_PROFILE=path writes a cProfile of the turns only."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import gc
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from clinic.settings import get_settings

SCRIPTS = [["yes", "yes I'll be there"],
           ["yes", "I can't make it", "any morning next week", "the second one"],
           ["yes", "where do I park", "ok yes"],
           ["yes", "I'd rather Thursday after 3", "the first one"]]


PROF = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def summary(name: str, values: list[float], target: str = "") -> str:
    if not values:
        return f"{name}: no samples"
    return (f"{name} (ms): n={len(values)} median={statistics.median(values):.2f} p95={pct(values, 95):.2f} "
            f"max={max(values):.2f}{'  ' + target if target else ''}")


class TurnClock:
    """Stamps each `session.run` turn: start, first text handed to speech, done; plus time in our code."""

    def __init__(self) -> None:
        self.t0: float | None = None
        self.first: float | None = None
        self.ours = 0.0
        self.first_reply: list[float] = []
        self.first_reply_cpu: list[float] = []
        self.tool_t0: float | None = None
        self.filler_spoken: list[float] = []
        self.whole: list[float] = []
        self.ours_ms: list[float] = []
        self.ours_first: float | None = None
        self.ours_before_first: list[float] = []
        self.gc = 0.0
        self.gc_ms: list[float] = []
        self._gc_t = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if self.t0 is None:
            return
        if phase == "start":
            self._gc_t = time.perf_counter()
        else:
            self.gc += time.perf_counter() - self._gc_t

    def start(self) -> None:
        if PROF is not None:
            PROF.enable()
        self.t0, self.first, self.ours, self.ours_first, self.gc = time.perf_counter(), None, 0.0, None, 0.0
        self.cpu0, self.cpu_first = time.thread_time(), None

    def text_out(self) -> None:
        if self.t0 is not None and self.first is None:
            self.first = time.perf_counter()
            self.ours_first = self.ours
            self.cpu_first = time.thread_time()

    def done(self) -> None:
        if self.t0 is None:
            return
        end = time.perf_counter()
        if PROF is not None:
            PROF.disable()
        self.whole.append((end - self.t0) * 1000)
        self.first_reply.append(((self.first or end) - self.t0) * 1000)
        self.ours_ms.append(self.ours * 1000)
        self.first_reply_cpu.append(((self.cpu_first or time.thread_time()) - self.cpu0) * 1000)
        self.ours_before_first.append((self.ours if self.ours_first is None else self.ours_first) * 1000)
        self.gc_ms.append(self.gc * 1000)
        if os.environ.get("BENCH_DEBUG"):
            print(f"  turn first={self.first_reply[-1]:6.2f} cpu={self.first_reply_cpu[-1]:6.2f} "
                  f"whole={self.whole[-1]:6.2f} "
                  f"ours={self.ours * 1000:6.2f} gc={self.gc * 1000:6.2f}")
        self.t0 = None


@contextlib.contextmanager
def instrumented(clock: TurnClock):
    """Patch the seams the clock reads (restored afterwards); the agent code itself is unchanged."""
    from livekit.agents import Agent, AgentSession

    from agent.confirmation_agent import ConfirmationAgent
    from agent.scripted_llm import ReceptionistPolicy

    patches: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, new: Any) -> None:
        patches.append((owner, name, owner.__dict__[name]))  # class attributes only
        setattr(owner, name, new)

    original_run = AgentSession.run

    def timed_run(self, **kw):
        clock.start()
        result = original_run(self, **kw)

        async def _awaited() -> Any:  # the caller's own await stamps the end, before its next turn
            try:
                return await result
            finally:
                clock.done()

        return _awaited()

    original_tn = Agent.transcription_node

    def timed_tn(self, text: AsyncIterable[str], model_settings):
        async def stamped() -> AsyncIterable[str]:
            first = True
            async for chunk in text:
                clock.text_out()
                if first and clock.tool_t0 is not None:   # the filler of a DB tool reaching speech
                    clock.filler_spoken.append((time.perf_counter() - clock.tool_t0) * 1000)
                    clock.tool_t0 = None
                first = False
                yield chunk
        return original_tn(self, stamped(), model_settings)

    original_decide = ReceptionistPolicy.decide

    def timed_decide(self, chat_ctx):
        t = time.perf_counter()
        try:
            return original_decide(self, chat_ctx)
        finally:
            clock.ours += time.perf_counter() - t

    patch(AgentSession, "run", timed_run)
    patch(Agent, "transcription_node", timed_tn)
    patch(ReceptionistPolicy, "decide", timed_decide)
    original_run_tool = ConfirmationAgent._run_tool

    async def timed_run_tool(self, ctx, fn, filler="lookup"):
        if filler:
            clock.tool_t0 = time.perf_counter()
        return await original_run_tool(self, ctx, fn, filler)

    patch(ConfirmationAgent, "_run_tool", timed_run_tool)
    for tool in list(ConfirmationAgent.__dict__.values()):
        fn = getattr(tool, "_func", None)
        if fn is None or not asyncio.iscoroutinefunction(fn):
            continue

        def wrap(fn=fn):
            @functools.wraps(fn)
            async def timed(*a, **kw):
                t = time.perf_counter()
                try:
                    return await fn(*a, **kw)
                finally:
                    clock.ours += time.perf_counter() - t
            return timed
        patches.append((tool, "_func", fn))
        tool._func = wrap()
    try:
        yield
    finally:
        for owner, name, old in reversed(patches):
            setattr(owner, name, old)


async def one_call(standin, turns: list[str], attempt_id: int, fillers: list[float]) -> str:
    from agent import sim_mode
    from tests.agent.conftest import ScriptedFarEnd

    res = await sim_mode.run_sim_job(f"call-{attempt_id}", json.dumps({"attempt_id": attempt_id}),
                                     lambda _: ScriptedFarEnd(list(turns)), standin.url, standin.api_key,
                                     standin.api_secret)
    fillers.extend(d * 1000 for d in res.filler_delays)
    return res.outcome


async def framework_floor(turns: int) -> TurnClock:
    """LiveKit's own text-mode turn cost: a session whose LLM answers instantly and whose agent has no
    tools, no DB and no event handlers."""
    from livekit.agents import Agent, AgentSession, llm
    from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

    class _Stream(llm.LLMStream):
        async def _run(self) -> None:
            self._event_ch.send_nowait(llm.ChatChunk(id="x", delta=llm.ChoiceDelta(role="assistant", content="Okay.")))

    class _Instant(llm.LLM):
        def chat(self, *, chat_ctx, tools=None, conn_options=DEFAULT_API_CONNECT_OPTIONS, **_: Any):
            return _Stream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)

    clock = TurnClock()
    with instrumented(clock):
        session = AgentSession(llm=_Instant(), vad=None, turn_handling={"turn_detection": None})
        await session.start(Agent(instructions="Say okay."))
        try:
            for i in range(turns):
                await session.run(user_input=f"hello {i}")
                await asyncio.sleep(0)
        finally:
            await session.aclose()
    return clock


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=24)
    ap.add_argument("--floor-turns", type=int, default=40)
    ap.add_argument("--no-gc-freeze", action="store_true", help="skip agent.gc_tuning.settle_heap (before/after)")
    args = ap.parse_args()
    base = get_settings().database_url
    name = f"bench_agent_{uuid.uuid4().hex[:8]}"
    admin = make_conninfo(base, dbname="postgres")
    params = conninfo_to_dict(base)
    params["dbname"] = name
    url = make_conninfo(**params)
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        from clinic.clock import FixedClock, set_clock
        from clinic.migrate import migrate
        from sim.livekit_standin import start_standin
        from sim.seed import ensure_sample_clinic

        migrate(url)
        set_clock(FixedClock(datetime(2026, 3, 2, 19, 0, tzinfo=UTC)))
        ids = []
        with psycopg.connect(url, row_factory=dict_row) as conn:
            clinic = ensure_sample_clinic(conn, date(2026, 3, 2), days=14)
            for i in range(args.calls + 1):
                p = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, %s, %s) RETURNING id",
                                 (clinic["id"], f"Pat{i} Bench", f"+1212555{1000 + i}")).fetchone()
                a = conn.execute("INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, provider,"
                                 " location) VALUES (%s, %s, %s, '2026-03-04 14:15+00', 'Dr. Patel',"
                                 " 'Main Street office') RETURNING id", (clinic["id"], f"B{i}", p["id"])).fetchone()
                at = conn.execute("INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, mode)"
                                  " VALUES (%s, %s, 1, %s, 'sim') RETURNING id",
                                  (clinic["id"], a["id"], f"+1212555{1000 + i}")).fetchone()
                ids.append(at["id"])
            conn.commit()
        standin = start_standin(ring_scale=0)
        clock = TurnClock()
        fillers: list[float] = []
        outcomes = []
        try:
            # one warm-up call (imports, first pool connections, first-use caches) is not counted; then
            # the heap is settled as the worker's prewarm does (agent.gc_tuning), unless --no-gc-freeze
            asyncio.run(one_call(standin, SCRIPTS[0], ids[0], []))
            if not args.no_gc_freeze:
                from agent.gc_tuning import settle_heap

                settle_heap()
            with instrumented(clock):
                for i, aid in enumerate(ids[1:]):
                    outcomes.append(asyncio.run(one_call(standin, SCRIPTS[i % len(SCRIPTS)], aid, fillers)))
        finally:
            standin.stop()
        if PROF is not None:
            PROF.dump_stats(os.environ["BENCH_PROFILE"])
        floor = asyncio.run(framework_floor(args.floor_turns))
        print(f"calls: {len(outcomes)}  outcomes: {dict((o, outcomes.count(o)) for o in set(outcomes))}")
        print(summary("first reply: user text -> first agent text to speech", clock.first_reply, "(target p95 <= 10)"))
        print(summary("  same, event-loop CPU time only (excludes waiting for the shared CPUs)", clock.first_reply_cpu))
        print(summary("  of which our code before that text (brain; tools not yet done)", clock.ours_before_first))
        print(summary("whole turn: user text -> turn done (all steps, tools, DB)", clock.whole))
        print(summary("  of which our code (policy + tools incl. DB)", clock.ours_ms))
        print(summary("  of which Python garbage collection pauses", clock.gc_ms))
        print(summary("framework floor, first reply (instant LLM, no tools)", floor.first_reply))
        print(summary("framework floor, first reply CPU time", floor.first_reply_cpu))
        print(summary("framework floor, whole turn", floor.whole))
        print(summary("tool call -> filler queued", fillers))
        print(summary("tool call -> filler text handed to speech", clock.filler_spoken, "(target <= 300)"))
    finally:
        from clinic import db

        db.close_pools()
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
