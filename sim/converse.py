"""`python -m agent converse FILE`: one text-mode call of the production agent, for trying replies by hand.

A throwaway clinic (unique slug, the sample clinic's settings and free slots), patient, appointment and
dialed attempt are created in Postgres; the call runs through `agent.sim_mode.run_sim_job` (the same
loading, dialing via the LiveKit API stand-in, AMD, agent, tools and outcome recording as every call);
the patient says the lines of FILE in order, then hangs up. Everything created is deleted afterwards
(the clinic row cascades), also when the call fails.

It lives in sim/ because it starts the LiveKit stand-in; `agent/__main__.py` only forwards to it."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from agent.far_end import Turn
from clinic import clinics, db, slots
from clinic.clock import FixedClock, get_clock, set_clock
from sim.seed import SAMPLE_PROVIDERS

TZ = "America/New_York"
PHONE = "+12125550188"


@dataclass
class LinesFarEnd:
    """A patient who answers "Hello?" and then says the given lines in order; hangs up after the last."""

    lines: list[str]
    heard: list[str] = field(default_factory=list)

    def first_words(self) -> Turn:
        return Turn(text="Hello?")

    def reply(self, agent_said: str) -> Turn:
        self.heard.append(agent_said)
        return Turn(text=self.lines.pop(0)) if self.lines else Turn(hang_up=True)


def _call_time() -> datetime:
    """11:00 clinic time on the next weekday: inside every calling window, so the call is dialable."""
    day = get_clock().now().astimezone(ZoneInfo(TZ)).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(11, 0), ZoneInfo(TZ))


def create_throwaway(conn: Any, first_name: str, now: datetime) -> dict[str, Any]:
    """Clinic + free slots + patient + appointment (two days on, 9:15) + a dialed attempt."""
    clinic = clinics.create_clinic(
        conn, slug=f"converse-{uuid.uuid4().hex[:10]}", name="Sunrise Family Medicine", timezone=TZ, state="NY",
        calling_hours="09:00-19:00", caller_id="+12125550100", callback_number="+12125550100",
        transfer_number="+12125550101", sip_trunk_id="ST_demo_trunk", address="120 Main Street, Springfield",
        parking="Free parking behind the building.", what_to_bring="Your insurance card and a photo ID.",
        preparation="Please arrive 10 minutes early.")
    today = now.date()
    for provider in SAMPLE_PROVIDERS:
        slots.generate(conn, clinic_id=clinic["id"], tz_name=TZ, provider=provider, start=today,
                       end=today + timedelta(days=10), location="Main Street office")
    starts = datetime.combine(today + timedelta(days=2), time(9, 15), ZoneInfo(TZ))
    patient = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, %s, %s) RETURNING *",
                           (clinic["id"], f"{first_name} Test", PHONE)).fetchone()
    appt = conn.execute(
        "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, provider, location)"
        " VALUES (%s, 'CONVERSE-1', %s, %s, %s, 'Main Street office') RETURNING *",
        (clinic["id"], patient["id"], starts, SAMPLE_PROVIDERS[0])).fetchone()
    slots.link_booked(conn, clinic["id"])
    attempt = conn.execute(
        "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, mode, status)"
        " VALUES (%s, %s, 1, %s, 'sim', 'dispatched') RETURNING *", (clinic["id"], appt["id"], PHONE)).fetchone()
    conn.commit()
    return {"clinic": clinic, "appointment": appt, "attempt": attempt}


def _brain(name: str) -> Callable[[Any], Any] | None:
    if name == "scripted":
        return None
    from agent.session_factory import brains
    from clinic.settings import get_settings

    if get_settings().openai_api_key is None:
        raise SystemExit("converse: --brain llm: OPENAI_API_KEY is not set (set it, and OPENAI_BASE_URL for a "
                         "local OpenAI-compatible endpoint)")
    return lambda call: brains(call)


@asynccontextmanager
async def throwaway_call(first_name: str) -> AsyncIterator[tuple[dict[str, Any], Any]]:
    """A throwaway world (clinic, slots, patient, appointment, dialed attempt) at 11:00 clinic time on the next
    weekday, and the LiveKit stand-in answering every number; everything is deleted on the way out."""
    from sim.livekit_standin import ANSWER, ScriptedPhoneNetwork, start_standin

    previous = get_clock()
    set_clock(FixedClock(_call_time()))
    conn = db.connect()
    world = create_throwaway(conn, first_name, get_clock().now())
    standin = start_standin(phone_network=ScriptedPhoneNetwork({}, default=ANSWER), ring_scale=0)
    try:
        yield world, standin
    finally:
        standin.stop()
        conn.rollback()
        conn.execute("DELETE FROM clinics WHERE id = %s", (world["clinic"]["id"],))
        conn.commit()
        conn.close()
        set_clock(previous if isinstance(previous, FixedClock) else None)


async def run_lines(world: dict[str, Any], standin: Any, lines: list[str],
                    brain: Callable[[Any], Any] | None) -> Any:
    """The throwaway attempt's call through `run_sim_job`, the patient saying `lines` in order."""
    from agent.sim_mode import run_sim_job

    aid = world["attempt"]["id"]
    result = await run_sim_job(f"call-{aid}", json.dumps({"attempt_id": aid}), lambda _phone: LinesFarEnd(list(lines)),
                               standin.url, standin.api_key, standin.api_secret, brain=brain)
    if result is None:
        raise SystemExit("converse: the throwaway attempt was not dialable")
    return result


async def converse(lines: list[str], first_name: str, brain: str) -> dict[str, Any]:
    """Run the call and return the JSON-ready summary; the throwaway rows are deleted in every case."""
    async with throwaway_call(first_name) as (world, standin):
        result = await run_lines(world, standin, lines, _brain(brain))
        appt = world["appointment"]
        local = appt["starts_at"].astimezone(ZoneInfo(TZ))
        return {
            "appointment": {"starts_at": local.isoformat(), "weekday": local.strftime("%A"),
                            "provider": appt["provider"], "location": appt["location"]},
            "transcript": [{"role": e["role"], "text": e["text"]} for e in result.transcript
                           if e["role"] in ("agent", "patient")],
            "tool_calls": [{"name": e["name"], "arguments": _args(e.get("arguments"))} for e in result.transcript
                           if e["role"] == "tool"],
            "outcome": result.outcome,
        }


def _args(raw: Any) -> Any:
    try:
        return json.loads(raw) if isinstance(raw, str) else (raw or {})
    except ValueError:
        return raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m agent converse",
        description="Run one text-mode call of the production agent for a throwaway test appointment. The "
                    "patient says FILE's lines in order (one a line), then hangs up. Cleans up after itself.")
    parser.add_argument("file", type=Path, help="patient lines, one per line ('-' for stdin)")
    parser.add_argument("--first-name", default="Maria", help="the patient's first name (default: Maria)")
    parser.add_argument("--brain", choices=["scripted", "llm"], default="scripted",
                        help="scripted policy (default) or the production LLM chain (needs OPENAI_API_KEY)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (the only output format)")
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"converse: FILE: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out = asyncio.run(converse(lines, args.first_name, args.brain))
    print(json.dumps(out, default=str))
    return 0
