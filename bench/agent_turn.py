"""Agent benchmark: the agent's own work per patient turn (scripted brain, so no model latency) and
the delay from a tool call starting to its filler being queued for speech.

Runs whole text-mode calls (confirm, reschedule, question) against a throwaway Postgres database and
the LiveKit stand-in. Targets: per-turn p95 <= 10 ms; tool-to-filler p95 <= 300 ms.
Usage: python bench/agent_turn.py [--calls N]"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

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


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def one_call(url: str, standin, turns: list[str], attempt_id: int, per_turn: list[float],
                   fillers: list[float]) -> str:
    # Time each session.run (the whole turn: brain + tools + DB + bookkeeping) via a wrapper.
    from livekit.agents import AgentSession

    from agent import sim_mode

    original_run = AgentSession.run

    def timed_run(self, **kw):
        started = time.perf_counter()
        result = original_run(self, **kw)
        fut = asyncio.ensure_future(_wait(result))
        fut.add_done_callback(lambda _: per_turn.append((time.perf_counter() - started) * 1000))
        return result

    async def _wait(r):
        with contextlib.suppress(Exception):
            await r

    AgentSession.run = timed_run
    try:
        from tests.agent.conftest import ScriptedFarEnd

        res = await sim_mode.run_sim_job(f"call-{attempt_id}", json.dumps({"attempt_id": attempt_id}),
                                         lambda _: ScriptedFarEnd(list(turns)), standin.url, standin.api_key,
                                         standin.api_secret)
    finally:
        AgentSession.run = original_run
    fillers.extend(d * 1000 for d in res.filler_delays)
    return res.outcome


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=12)
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
            for i in range(args.calls):
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
        per_turn: list[float] = []
        fillers: list[float] = []
        outcomes = []
        try:
            for i, aid in enumerate(ids):
                outcomes.append(asyncio.run(one_call(url, standin, SCRIPTS[i % len(SCRIPTS)], aid, per_turn, fillers)))
        finally:
            standin.stop()
        print(f"calls: {len(ids)}  outcomes: {dict((o, outcomes.count(o)) for o in set(outcomes))}")
        print(f"per-turn own work (ms): n={len(per_turn)} median={statistics.median(per_turn):.2f} "
              f"p95={pct(per_turn, 95):.2f} max={max(per_turn):.2f}  (target p95 <= 10)")
        print(f"tool call -> filler queued (ms): n={len(fillers)} median={statistics.median(fillers):.3f} "
              f"p95={pct(fillers, 95):.3f} max={max(fillers):.3f}  (target <= 300)")
    finally:
        from clinic import db

        db.close_pools()
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
