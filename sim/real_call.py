"""Real calls on this machine: the production chain end to end, with only the phone network simulated.

    attempt (Postgres) -> Celery `dialer.tasks.dispatch` (real worker) -> LiveKit CreateDispatch (real server)
    -> the agent worker (`python -m agent start`, registered with the server) -> CreateSIPParticipant -> LiveKit
    SIP -> INVITE to the SIP phone network (sim/sip_phone), which answers as the number's persona.

`RealCallStack` starts what is not running: the LiveKit server and SIP service (shared, left running; see
`sim.livekit_stack`), the local speech server (shared, left running), and per stack the phone network, one
agent worker and one Celery worker (and beat, for a night the dialer drives on its own:
tests/real_stack/test_real_night_faults.py), each in its own namespace (agent name, Celery queue, simulated clock key)
so a test run next to `sim call` never takes the other's jobs. The dialer's rules are not switched off: the
stack runs on a simulated clock set inside the clinic's calling window (it runs at wall speed, so calls take
real time), as `sim run` does.

Used by `python -m sim call` and the real-stack tests (tests/real_stack)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from livekit import api
from psycopg.rows import dict_row

from clinic.clock import SIM_CLOCK_KEY_ENV, SharedSimClock
from clinic.settings import get_settings
from sim import livekit_stack

ROOT = Path(__file__).resolve().parent.parent
TERMINAL_STATUSES = ("ended",)


@dataclass(frozen=True)
class CallReport:
    """One real call, as `sim call --json` prints it."""

    attempt_id: int
    persona: str
    phone: str
    outcome: str | None
    status: str
    sip_status_code: int | None
    sip_call_id: str | None
    recording: str | None
    transcript: list[dict[str, str]]
    appointment_status: str | None = None
    error: str | None = None
    phone_record: dict[str, Any] | None = None
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"attempt_id": self.attempt_id, "persona": self.persona, "outcome": self.outcome,
                "status": self.status, "appointment_status": self.appointment_status,
                "sip_status_code": self.sip_status_code, "sip_call_id": self.sip_call_id,
                "recording": self.recording, "transcript": self.transcript, "error": self.error,
                "seconds": round(self.seconds, 1)}


def persona_number(persona: str) -> str:
    """A fixed test number per persona (the 555-01xx fictional range), so the phone network knows who to be."""
    from sim.personas import PERSONAS

    names = sorted(PERSONAS)
    return f"+1212555{200 + names.index(persona):04d}"


def next_calling_instant(tz_name: str, now: datetime) -> datetime:
    """10:30 clinic time on the next weekday at least a day away: inside every default calling window."""
    tz = ZoneInfo(tz_name)
    day = now.astimezone(tz).date() + timedelta(days=1)
    while day.isoweekday() in (6, 7):
        day += timedelta(days=1)
    return datetime.combine(day, dtime(10, 30), tz)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


@dataclass
class RealCallStack:
    """The processes one batch of real calls needs. Use as a context manager."""

    database_url: str
    workdir: Path
    personas: Mapping[str, str]          # number -> persona, for the phone network
    front_desk: tuple[str, ...] = ()
    phone_port: int | None = 5080      # None: a free port
    phone_options: tuple[str, ...] = ()  # further `python -m sim.sip_phone` options (timings)
    talking: bool = True               # persons hear (Whisper) and speak (Piper) through the speech server
    name: str = field(default_factory=lambda: f"real-{secrets.token_hex(3)}")
    redis_url: str = field(default_factory=lambda: get_settings().redis_url)
    # Room for the previous call's job process, which closes ~2 s after its outcome is written.
    agent_max_jobs: int = 3
    with_token_server: bool = False    # on the port LiveKit's webhooks go to (livekit.yaml), when it is free
    # The browser test call needs neither the phone network nor the dialer: the tester joins the room from
    # the page and LiveKit dispatches the agent (the token's RoomConfiguration).
    phone_network: bool = True
    processes: tuple[str, ...] = ("agent", "celery")   # add "beat" for a night the dialer drives on its own
    extra_env: Mapping[str, str] = field(default_factory=dict)   # e.g. DIALER_TICK_SECONDS for a fast beat
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    phone: Any = None
    _phone_cm: Any = None
    endpoints: livekit_stack.Endpoints | None = None
    sim_start: datetime | None = None

    # ---- names ---------------------------------------------------------------------------------
    @property
    def agent_name(self) -> str:
        return f"{self.name}-agent"

    @property
    def queue(self) -> str:
        return f"{self.name}-dialer"

    @property
    def clock_key(self) -> str:
        return f"{self.name}:sim-clock"

    @property
    def speech_url(self) -> str:
        s = get_settings()
        return f"http://{s.speech_server_host}:{s.speech_server_port}"

    def env(self) -> dict[str, str]:
        assert self.endpoints is not None
        ep = self.endpoints
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DIALER_", "LIVEKIT_", "AGENT_"))}
        env.pop("OPENAI_API_KEY", None)   # no cloud model here: the scripted brain answers
        env.update({
            "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url,
            "LIVEKIT_URL": ep.http_url, "LIVEKIT_API_KEY": ep.api_key, "LIVEKIT_API_SECRET": ep.api_secret,
            "AGENT_NAME": self.agent_name, "AGENT_MAX_JOBS": str(self.agent_max_jobs), "AGENT_IDLE_PROCESSES": "1",
            "AGENT_HTTP_HOST": "127.0.0.1", "AGENT_HTTP_PORT": "0",
            "DIALER_QUEUE": self.queue, "DIALER_PACING_PREFIX": f"{self.name}:pace:", "DIALER_CALL_MODE": "sip",
            "DIALER_CLOCK": "sim", SIM_CLOCK_KEY_ENV: self.clock_key,
            "TOKEN_SERVER_HOST": "127.0.0.1", "TOKEN_SERVER_PORT": str(self._webhook_port()),
            "SPEECH_BACKEND": "local", "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"), "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    # ---- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> RealCallStack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        self.endpoints = livekit_stack.start()
        self._ensure_speech_server()
        self.start_clock()
        if self.phone_network:
            from sim.sip_phone.process import running_phone

            self._phone_cm = running_phone(port=self.phone_port, record_dir=self.workdir / "recordings",
                                           json_log=self.workdir / "calls.jsonl", personas=dict(self.personas),
                                           front_desk=list(self.front_desk), extra=self._phone_extra())
            self.phone = self._phone_cm.__enter__()
        for name in self.processes:
            self.start_process(name)
        if self.with_token_server and self._webhook_port_free():
            self.start_process("token_server")
        if "agent" in self.processes:
            self.wait_for_agent()

    def _phone_extra(self) -> list[str]:
        talking = ["--speech-url", self.speech_url] if self.talking else []
        return [*talking, *self.phone_options]

    def _webhook_port(self) -> int:
        assert self.endpoints is not None
        from urllib.parse import urlparse

        return urlparse(self.endpoints.webhook_urls[0]).port or 80

    def _webhook_port_free(self) -> bool:
        import socket

        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self._webhook_port())) != 0

    @property
    def webhooks_received(self) -> bool:
        """Whether this stack's token server is the one LiveKit's webhooks reach."""
        return "token_server" in self.procs

    def start_clock(self) -> None:
        clock = SharedSimClock(self.redis_url, self.clock_key)
        self.sim_start = self.sim_start or next_calling_instant("America/New_York", datetime.now(UTC))
        clock.start(self.sim_start, speed=1.0)

    def _commands(self) -> dict[str, list[str]]:
        py = sys.executable
        return {
            "agent": [py, "-m", "agent", "start"],
            "token_server": [py, "-m", "token_server"],
            "celery": [py, "-m", "celery", "-A", "dialer.celery_app", "worker", "-Q", self.queue, "-c", "1",
                       "--pool=prefork", "-l", "INFO", "--without-gossip", "--without-mingle",
                       "--without-heartbeat", "-n", f"{self.name}@%h"],
            "beat": [py, "-m", "celery", "-A", "dialer.celery_app", "beat", "-l", "INFO",
                     "-s", str(self.workdir / "beat-schedule")],
        }

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start_process(self, name: str) -> None:
        with self.log_path(name).open("ab") as log:
            self.procs[name] = subprocess.Popen(self._commands()[name], cwd=ROOT, env=self.env(), stdout=log,
                                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                start_new_session=True)

    def kill_process(self, name: str) -> None:
        """SIGKILL one process group (a crash, an OOM kill)."""
        import signal

        proc = self.procs.pop(name, None)
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def wait_for_agent(self, timeout: float = 90.0) -> None:
        """Until the agent worker has registered with the LiveKit server."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs["agent"]
            if proc.poll() is not None:
                raise RuntimeError(f"agent worker exited ({proc.returncode}); see {self.log_path('agent')}")
            if "registered worker" in self.log_path("agent").read_text(errors="replace"):
                return
            time.sleep(0.3)
        raise RuntimeError(f"agent worker did not register within {timeout:.0f}s; see {self.log_path('agent')}")

    def registrations(self) -> int:
        """How many times the agent worker has registered with the server (it re-registers after a restart)."""
        return self.log_path("agent").read_text(errors="replace").count("registered worker")

    def wait_for_registrations(self, count: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self.registrations() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"agent worker did not re-register within {timeout:.0f}s")
            time.sleep(0.3)

    def _ensure_speech_server(self) -> None:
        if _answers(self.speech_url + "/health"):
            return
        log_dir = ROOT / ".run" / "speech"
        log_dir.mkdir(parents=True, exist_ok=True)
        with (log_dir / "speech_server.log").open("ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "speech_server"], cwd=ROOT, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        (log_dir / "speech_server.pid").write_text(str(proc.pid))
        deadline = time.monotonic() + 120
        while not _answers(self.speech_url + "/health"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the local speech server did not start; see {log_dir / 'speech_server.log'}")
            time.sleep(0.5)

    def stop(self) -> None:
        import signal

        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.procs.clear()
        if self._phone_cm is not None:
            with contextlib.suppress(Exception):
                self._phone_cm.__exit__(None, None, None)
            with contextlib.suppress(OSError):
                self.log_path("phone").write_text("\n".join(self.phone.output) + "\n")
            self._phone_cm = None

    # ---- clinics and calls -----------------------------------------------------------------------
    def connect(self) -> psycopg.Connection[dict[str, Any]]:
        return psycopg.connect(self.database_url, row_factory=dict_row)

    def ensure_trunk(self, clinic: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Give the clinic an outbound trunk on the LiveKit server pointing at this phone network, unless its
        trunk already exists there and points here. Returns the clinic and whether a trunk was created."""
        assert self.endpoints is not None and self.phone is not None
        ep = self.endpoints

        async def _ensure() -> str | None:
            async with api.LiveKitAPI(ep.http_url, ep.api_key, ep.api_secret) as lk:
                trunks = await lk.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest())
                for t in trunks.items:
                    if t.sip_trunk_id == clinic.get("sip_trunk_id") and t.address == self.phone.address:
                        return None
                created = await lk.sip.create_outbound_trunk(api.CreateSIPOutboundTrunkRequest(
                    trunk=api.SIPOutboundTrunkInfo(name=f"{clinic['slug']} (simulated phone network)",
                                                   address=self.phone.address, numbers=[clinic["caller_id"]],
                                                   transport=api.SIPTransport.SIP_TRANSPORT_UDP)))
                return str(created.sip_trunk_id)

        import asyncio

        trunk_id = asyncio.run(_ensure())
        if trunk_id is None:
            return clinic, False
        with self.connect() as conn:
            row = conn.execute("UPDATE clinics SET sip_trunk_id = %s WHERE id = %s RETURNING *",
                               (trunk_id, clinic["id"])).fetchone()
            conn.commit()
        assert row is not None
        return row, True

    def place_call(self, clinic: dict[str, Any], persona: str, *, phone: str | None = None,
                   patient_name: str = "Jordan Rivera", timeout: float = 240.0) -> CallReport:
        """One appointment for `persona`'s number, one attempt, dispatched through Celery; waits for its outcome."""
        from dialer.tasks import dispatch

        phone = phone or persona_number(persona)
        now = self.clock_now()
        attempt_id = self.create_attempt(clinic, phone, patient_name=patient_name, now=now)
        legs_before = len(self._legs_to(phone))
        t0 = time.monotonic()
        dispatch.apply_async((attempt_id,), queue=self.queue)
        row = self.wait_for_outcome(attempt_id, timeout=timeout)
        return self.report(attempt_id, persona, phone, row, seconds=time.monotonic() - t0, leg=legs_before)

    def clock_now(self) -> datetime:
        """The stack's (simulated, wall-speed) time, which its workers use."""
        return SharedSimClock(self.redis_url, self.clock_key).now()

    def create_attempt(self, clinic: dict[str, Any], phone: str, *, patient_name: str, now: datetime,
                       deadline: timedelta = timedelta(minutes=15)) -> int:
        tz = ZoneInfo(clinic["timezone"])
        starts = datetime.combine(now.astimezone(tz).date() + timedelta(days=2), dtime(9, 30), tz)
        with self.connect() as conn:
            patient = conn.execute(
                "INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, %s, %s)"
                " ON CONFLICT (clinic_id, phone, lower(full_name)) DO UPDATE SET updated_at = now() RETURNING id",
                (clinic["id"], patient_name, phone)).fetchone()
            assert patient is not None
            appt = conn.execute(
                "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, duration_minutes, provider,"
                " location) VALUES (%s, %s, %s, %s, 30, 'Dr. Patel', 'Main Street office') RETURNING id",
                (clinic["id"], f"sim-call-{secrets.token_hex(4)}", patient["id"], starts)).fetchone()
            assert appt is not None
            attempt = conn.execute(
                "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, mode, planned_at,"
                " deadline_at) VALUES (%s, %s, 1, %s, 'sip', %s, %s) RETURNING id",
                (clinic["id"], appt["id"], phone, now, now + deadline)).fetchone()
            assert attempt is not None
            conn.execute("UPDATE call_attempts SET room_name = %s WHERE id = %s",
                         (f"call-{attempt['id']}", attempt["id"]))
            conn.commit()
        return int(attempt["id"])

    def wait_in_call(self, attempt_id: int, timeout: float = 120) -> bool:
        """Wait until the attempt's call is answered (status `in_call`); False if it never was in `timeout`
        (a fault test injects its fault mid-conversation, so it needs the moment the call is up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.connect() as conn:
                row = conn.execute("SELECT status FROM call_attempts WHERE id = %s", (attempt_id,)).fetchone()
            if row and row["status"] == "in_call":
                return True
            time.sleep(0.3)
        return False

    def wait_for_outcome(self, attempt_id: int, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            with self.connect() as conn:
                row = conn.execute(
                    "SELECT a.*, ap.status AS appointment_status FROM call_attempts a"
                    " JOIN appointments ap ON ap.id = a.appointment_id WHERE a.id = %s", (attempt_id,)).fetchone()
            assert row is not None
            if row["outcome"] is not None or time.monotonic() > deadline:
                return row
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited ({proc.returncode}); see {self.log_path(name)}")
            time.sleep(0.5)

    def report(self, attempt_id: int, persona: str, phone: str, row: dict[str, Any], *, seconds: float,
               leg: int) -> CallReport:
        record = self.phone_record(phone, leg) if row.get("status") != "planned" else None
        transcript = [{"role": e["role"], "text": e["text"]} for e in (row.get("transcript") or [])
                      if e.get("role") in ("agent", "patient") and e.get("text")]
        return CallReport(attempt_id=attempt_id, persona=persona, phone=phone, outcome=row["outcome"],
                          status=row["status"], appointment_status=row.get("appointment_status"),
                          sip_status_code=row.get("sip_status_code"),
                          sip_call_id=row.get("sip_call_id"),
                          recording=(record or {}).get("recording"), transcript=transcript,
                          error=row.get("error"), phone_record=record, seconds=seconds)

    def story(self, attempt_id: int, limit: int = 40) -> str:
        """What the stack's own logs (agent, Celery, LiveKit) say about one attempt's room: the message a failed
        check carries, so a call that never got an outcome says where it stopped (dispatch dropped by LiveKit,
        job never started, dial hung) without the logs of a CI machine that is gone."""
        room = f"call-{attempt_id}"
        lines: list[str] = []
        for path in sorted(self.workdir.glob("*.log")):
            for line in path.read_text(errors="replace").splitlines():
                if (room in line or f'"attempt_id": {attempt_id}' in line) and '"DEBUG"' not in line:
                    lines.append(f"{path.stem}: {line[:300]}")
        livekit_log = livekit_stack.RUN / "server.log"
        if livekit_log.exists():
            lines += [f"livekit: {ln[:300]}" for ln in livekit_log.read_text(errors="replace").splitlines()
                      if room in ln and ("worker" in ln or "job" in ln)]
        return "\n".join(lines[-limit:]) or f"no log line mentions {room}"

    def _legs_to(self, phone: str) -> list[dict[str, Any]]:
        return [r for r in self.phone.records() if r.get("number") == phone and r.get("direction") == "inbound"]

    def phone_record(self, phone: str, leg: int, timeout: float = 15.0) -> dict[str, Any] | None:
        """The phone network's record of the `leg`-th call to `phone` (written when the leg ends, with its
        SIP Call-ID, status code sent and recordings)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            legs = self._legs_to(phone)
            if len(legs) > leg:
                return legs[leg]
            time.sleep(0.2)
        return None


def ready_clinic(conn: psycopg.Connection[dict[str, Any]], slug: str) -> dict[str, Any]:
    """The `sim call` clinic: created once, with everything a clinic needs to be dialed (caller id, callback
    and front-desk numbers, a month of free slots for reschedulers)."""
    from clinic import clinics, slots

    row = conn.execute("SELECT * FROM clinics WHERE slug = %s", (slug,)).fetchone()
    if row is None:
        row = clinics.create_clinic(conn, slug=slug, name="Sunrise Family Medicine", timezone="America/New_York",
                                    state="NY", calling_hours="08:00-20:00", caller_id="+12125550100",
                                    callback_number="+12125550101", transfer_number="+12125550199")
    today = date.today()
    slots.generate(conn, clinic_id=row["id"], tz_name=row["timezone"], provider="Dr. Patel",
                   start=today, end=today + timedelta(days=45))
    conn.commit()
    return row


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=str)
