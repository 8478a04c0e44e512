"""Faults in the middle of a real night (issue 14): the dialer runs on its own (beat -> planner -> Celery dispatch ->
LiveKit -> agent worker -> SIP -> the phone network) while one thing breaks:

- the Celery worker is killed (-9) with a call in flight and dispatches queued behind the trunk's pacing;
- beat is killed (-9) with a call in flight and an appointment waiting for capacity;
- Redis is flushed (FLUSHALL) with a call in flight and dispatches queued;
- Postgres is stopped (crash, `-m immediate`) for several seconds with calls in flight, then started;
- a poisoned row sits in each beat job all night: a year-1 appointment whose stale attempt breaks the reaper's
  retry arithmetic, an appointment in a zone zoneinfo does not know (planner), a clinic in such a zone (batches).

After each: every appointment settles as its patient wanted (nothing lost), no attempt rang its number twice and
no number was rung twice at once (INVITEs counted at the phone network against the attempts that dialed), and
no call that reached the phone was left for the reaper to call `lost` (an outcome lost).

The dialer's Redis and Postgres are this module's own (sim/private_services.py): the ones on the default ports
are shared by every session on the machine and are never flushed or restarted. LiveKit keeps the shared Redis.
Time: the stack runs on a simulated clock at wall speed; when nothing can move until later (attempts stalled
for the reaper, a retry 5 minutes away) the test moves the clock forward, as `sim run` does, and reports how
many simulated minutes that skipped. Figures go to test-artifacts/real_night_faults.json (README table).

Runs after test_real_faults.py (file name order): the fault tests run last in the real-stack suite."""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.rows import dict_row

from clinic.clock import SharedSimClock
from clinic.migrate import migrate
from dialer import planner
from sim.private_services import PrivatePostgres, PrivateRedis
from sim.real_call import RealCallStack, ready_clinic
from sim.run import next_event
from tests.real_stack.conftest import FRONT_DESK

pytestmark = [pytest.mark.real_stack, pytest.mark.timeout(600)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FIGURES: list[dict[str, Any]] = []

# Each number's persona and the outcome its patient gives: the last attempt of the appointment must end with it
# (a call the fault cut is retried until it does). Personas whose result does not hang on speech recognition
# timing (on two shared cores a scripted persona talks over a slow agent, and a transfer asked for in words can
# outlast the phone's 60 s): a voicemail box (answered, AMD on audio, the agent leaves its message: the call in
# flight) and a busy line (the quick one queued behind it).
EXPECTED = {"voicemail": "voicemail_left", "busy": "busy"}
NIGHTS = ("poison", "celery", "beat", "redis", "postgres")
PERSONAS_OF = {n: ("voicemail", "busy") for n in NIGHTS}
# The flush night has a third appointment: with the worker busy pacing the second dispatch, the third waits in the
# Redis queue itself, which the flush empties.
PERSONAS_OF["redis"] = ("voicemail", "busy", "busy")
# One number per (night, appointment): each night's calls are counted apart at the phone network.
NUMBERS = {(n, i): f"+1212555{3000 + 10 * k + i:04d}" for k, n in enumerate(NIGHTS) for i in range(len(PERSONAS_OF[n]))}
POISON_NUMBER = "+12125553990"   # the planner's poisoned row: must never ring
STALL_SECONDS = 25.0             # attempts before the phone unchanged this long (wall): let the reaper find them
LIVE_STALL_SECONDS = 100.0       # a call at the phone unchanged this long: past the phone's own 60 s limit
STALL_STEP = timedelta(minutes=15)


@pytest.fixture(scope="module")
def private_redis() -> Iterator[PrivateRedis]:
    with PrivateRedis() as r:
        yield r


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    with PrivatePostgres() as pg:
        migrate(pg.url)
        # Rooms are `call-<attempt id>` on the shared LiveKit server: start ids somewhere no other run is.
        with psycopg.connect(pg.url, autocommit=True) as conn:
            conn.execute("SELECT setval('call_attempts_id_seq', %s)", (secrets.randbelow(10**9) + 10**6,))
        yield pg


@pytest.fixture(scope="module")
def night_stack(private_pg: PrivatePostgres, private_redis: PrivateRedis,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCallStack]:
    personas = {number: PERSONAS_OF[n][i] for (n, i), number in NUMBERS.items()}
    personas[POISON_NUMBER] = "busy"
    with RealCallStack(database_url=private_pg.url, redis_url=private_redis.url,
                       workdir=Path(tmp_path_factory.mktemp("night-faults")), personas=personas,
                       front_desk=(FRONT_DESK,), phone_port=None, agent_max_jobs=3,
                       processes=("agent", "celery", "beat"),
                       extra_env={"DIALER_TICK_SECONDS": "2", "DIALER_BATCHES_SECONDS": "4"},
                       phone_options=("--ring-timeout", "12", "--answer-after", "0.5", "--max-call", "60")) as s:
        yield s


@pytest.fixture(scope="module")
def night_clinic(night_stack: RealCallStack) -> dict[str, Any]:
    with night_stack.connect() as conn:
        row = ready_clinic(conn, "night-faults")
        conn.execute("UPDATE clinics SET ring_timeout_seconds = 20, max_concurrent_calls = 2 WHERE id = %s",
                     (row["id"],))
        conn.commit()
    row, _ = night_stack.ensure_trunk({**row, "ring_timeout_seconds": 20})
    return row


# ---- the night -------------------------------------------------------------------------------------------------
@dataclass
class Night:
    stack: RealCallStack
    clinic: dict[str, Any]
    name: str
    appointments: dict[int, tuple[str, str]] = field(default_factory=dict)   # id -> (number, persona)
    external_ids: list[str] = field(default_factory=list)
    skipped: timedelta = timedelta(0)      # simulated time the test moved the clock forward
    t_fault: float | None = None
    fault: dict[str, Any] = field(default_factory=dict)
    # One instance for the night: it remembers the anchor, and puts it back if Redis forgets it (the flush).
    clock: SharedSimClock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = SharedSimClock(self.stack.redis_url, self.stack.clock_key)

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Read from the dialer's Postgres, waiting while it is down (the Postgres fault)."""
        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(self.stack.database_url, row_factory=dict_row, connect_timeout=3) as conn:
                    return conn.execute(sql, params).fetchall()
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def attempts(self) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM call_attempts WHERE appointment_id = ANY(%s) ORDER BY id",
                          (list(self.appointments),))

    def statuses(self) -> dict[int, str]:
        return {r["id"]: r["status"] for r in self.query("SELECT id, status FROM appointments WHERE id = ANY(%s)",
                                                          (list(self.appointments),))}

    def unsettled(self, attempts: list[dict[str, Any]]) -> dict[int, str | None]:
        """Appointments whose last attempt did not end with what the patient gives (none yet, or one the fault
        cut: `lost`, `failed`): appointment id -> that last outcome."""
        last: dict[int, str | None] = {aid: None for aid in self.appointments}
        for a in attempts:     # by id: the last one wins
            last[a["appointment_id"]] = a["outcome"]
        return {aid: out for aid, out in last.items() if out != EXPECTED[self.appointments[aid][1]]}


def start_night(stack: RealCallStack, clinic: dict[str, Any], name: str) -> Night:
    """The night's appointments, due now (the day after tomorrow, inside the call-ahead range), one per number."""
    night = Night(stack, clinic, name)
    now = night.clock.now()
    tz = ZoneInfo(clinic["timezone"])
    starts = datetime.combine(now.astimezone(tz).date() + timedelta(days=2), dtime(14, 0), tz)
    with stack.connect() as conn:
        for i, persona in enumerate(PERSONAS_OF[name]):
            number = NUMBERS[(name, i)]
            patient = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, %s, %s)"
                                   " RETURNING id", (clinic["id"], f"Night Patient {name} {i}", number)).fetchone()
            ext = f"{name}-{i}"
            appt = conn.execute("INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at,"
                                " duration_minutes, provider, location) VALUES (%s, %s, %s, %s, 30, 'Dr. Patel',"
                                " 'Main Street office') RETURNING id",
                                (clinic["id"], ext, patient["id"], starts + timedelta(minutes=15 * i))).fetchone()
            night.appointments[appt["id"]] = (number, persona)
            night.external_ids.append(ext)
        conn.commit()
    return night


def drive(night: Night, *, until: Callable[[list[dict[str, Any]]], bool] | None = None,
          timeout: float = 240.0) -> None:
    """Let the night run (beat plans, reaps and builds batches on its own) until `until(attempts)` holds, or, by
    default, until nothing is in flight and every appointment's last attempt ended with its patient's answer.
    The test only moves time: when attempts are stalled (a lost dispatch the reaper must find) or nothing is due
    until later (a retry)."""
    clinic_id = night.clinic["id"]
    deadline = time.monotonic() + timeout
    last: tuple[str, float] = ("", time.monotonic())
    while True:
        if time.monotonic() > deadline:
            pytest.fail(f"night {night.name}: not settled in {timeout:.0f}s: "
                        f"{[(a['id'], a['status'], a['outcome'], a['error']) for a in night.attempts()]}")
        attempts = night.attempts()
        if until is not None:
            if until(attempts):
                return
        else:
            in_flight = [a for a in attempts if a["outcome"] is None]
            if not in_flight and not night.unsettled(attempts):
                return
        for name, proc in night.stack.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}); see {night.stack.log_path(name)}")
        in_flight = [a for a in attempts if a["outcome"] is None]
        now = night.clock.now()
        if in_flight:
            fingerprint = ",".join(f"{a['id']}:{a['status']}" for a in in_flight)
            live = any(a["status"] in ("dialing", "in_call") for a in in_flight)
            if fingerprint != last[0]:
                last = (fingerprint, time.monotonic())
            elif time.monotonic() - last[1] > (LIVE_STALL_SECONDS if live else STALL_SECONDS):
                night.clock.jump(now + STALL_STEP)       # the reaper's deadlines, in simulated time
                night.skipped += STALL_STEP
                last = (fingerprint, time.monotonic())
        elif until is None:
            with psycopg.connect(night.stack.database_url, row_factory=dict_row) as conn:
                clinic = conn.execute("SELECT * FROM clinics WHERE id = %s", (clinic_id,)).fetchone()
                due = {d["appointment_id"] for d in planner.explain(conn, clinic, now).dial}
                target = None if due & set(night.appointments) else next_event(conn, clinic, night.external_ids, now)
            if target is not None and time.monotonic() - last[1] > 6:   # beat had ticks to plan what is due
                night.clock.jump(target)
                night.skipped += target - now
                last = ("", time.monotonic())
        time.sleep(0.5)


def in_flight_now(night: Night) -> dict[str, int]:
    attempts = night.attempts()
    return {"calls_in_flight": sum(a["outcome"] is None and a["status"] in ("dialing", "in_call") for a in attempts),
            "attempts_queued": sum(a["outcome"] is None and a["status"] in ("planned", "dispatched")
                                   for a in attempts)}


def inject(night: Night, fault: str, action: Callable[[], None]) -> None:
    night.fault = {"fault": fault, **in_flight_now(night)}
    night.t_fault = time.monotonic()
    action()


def wait(seconds: float) -> None:
    time.sleep(seconds)


def settle_and_check(night: Night, timeout: float = 300.0) -> dict[str, Any]:
    """Drive the night to the end, then check what a clinic would: nothing lost, nobody rung twice."""
    drive(night, timeout=timeout)
    recovered = time.monotonic() - (night.t_fault or time.monotonic())
    attempts = night.attempts()
    dialed: dict[str, int] = {}
    for a in attempts:
        if a["dial_started_at"] is not None:
            dialed[a["phone"]] = dialed.get(a["phone"], 0) + 1
    numbers = {number for number, _ in night.appointments.values()}
    deadline = time.monotonic() + 30    # the phone network writes a leg when it ends
    while True:
        legs = {n: night.stack._legs_to(n) for n in numbers}
        if all(len(legs[n]) >= dialed.get(n, 0) for n in numbers) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    double = sum(max(0, len(legs[n]) - dialed.get(n, 0)) for n in numbers)
    overlapping = 0
    for n in numbers:
        spans = sorted((leg["started_at"], leg["ended_at"] or "9999") for leg in legs[n])
        overlapping += sum(1 for a, b in itertools.pairwise(spans) if b[0] < a[1])
    # An outcome lost: a call the phone answered whose result was not recorded: ended `lost` (the reaper, past its
    # deadline) or `failed` (the agent's crash record) although the patient's side went as the persona goes (none
    # of these faults touches the call itself). Attempts and the legs to their number pair up in dialing order.
    lost = []
    for n in numbers:
        dialed_attempts = sorted((a for a in attempts if a["phone"] == n and a["dial_started_at"] is not None),
                                 key=lambda a: a["dial_started_at"])
        for a, leg in zip(dialed_attempts, sorted(legs[n], key=lambda leg: leg["started_at"]), strict=False):
            if leg.get("answered_at") and a["outcome"] in ("lost", "failed"):
                lost.append(a["id"])
    wrong = night.unsettled(attempts)
    figures = {**night.fault, "appointments": len(night.appointments), "attempts": len(attempts),
               "outcomes": sorted(a["outcome"] for a in attempts), "outcomes_lost": len(lost),
               "double_dials": double + overlapping, "wrongly_settled": len(wrong),
               "seconds_to_settle_after_fault": round(recovered, 1),
               "simulated_minutes_skipped": round(night.skipped.total_seconds() / 60)}
    FIGURES.append(figures)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "real_night_faults.json").write_text(json.dumps(FIGURES, indent=2))
    assert not wrong, f"appointments not settled as their patients answered: {wrong}; {figures}"
    assert not lost, f"outcomes lost (answered calls ended lost/failed): {lost}; {figures}"
    assert double == 0 and overlapping == 0, f"dialed twice: {legs} vs {dialed}"
    assert all(a["outcome"] is not None for a in attempts)
    return figures


def until_live(min_calls: int = 1, min_queued: int = 0) -> Callable[[list[dict[str, Any]]], bool]:
    def ready(attempts: list[dict[str, Any]]) -> bool:
        live = sum(a["outcome"] is None and a["status"] == "in_call" for a in attempts)
        queued = sum(a["outcome"] is None and a["status"] in ("planned", "dispatched") for a in attempts)
        return live >= min_calls and queued >= min_queued
    return ready


def set_pacing(night: Night, calls_per_second: float, capacity: int = 2) -> None:
    with night.stack.connect() as conn:
        conn.execute("UPDATE clinics SET calls_per_second = %s, max_concurrent_calls = %s WHERE id = %s",
                     (calls_per_second, capacity, night.clinic["id"]))
        conn.commit()


# ---- the faults ------------------------------------------------------------------------------------------------
def test_poisoned_row_in_each_beat_job_during_a_real_night(night_stack: RealCallStack,
                                                           night_clinic: dict[str, Any]) -> None:
    now = SharedSimClock(night_stack.redis_url, night_stack.clock_key).now()
    with night_stack.connect() as conn:
        # Reaper: the year-1 test appointment whose attempt went stale (retry arithmetic overflows).
        pid = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, 'Year One', %s)"
                           " RETURNING id", (night_clinic["id"], "+12125553991")).fetchone()["id"]
        year_one = conn.execute("INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, is_test)"
                                " VALUES (%s, 'poison-year-one', %s, '0001-01-01T12:00:00Z', true) RETURNING id",
                                (night_clinic["id"], pid)).fetchone()["id"]
        stale = conn.execute("INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, status,"
                             " planned_at, dispatched_at) VALUES (%s, %s, 1, '+12125553991', 'dispatched', %s, %s)"
                             " RETURNING id", (night_clinic["id"], year_one, now - timedelta(minutes=20),
                                               now - timedelta(minutes=20))).fetchone()["id"]
        # Planner: a due appointment in a zone the database holds but zoneinfo does not know.
        pid = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, 'Mars Patient', %s)"
                           " RETURNING id", (night_clinic["id"], POISON_NUMBER)).fetchone()["id"]
        mars = conn.execute("INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, timezone)"
                            " VALUES (%s, 'poison-mars', %s, %s, 'Mars/Olympus_Mons') RETURNING id",
                            (night_clinic["id"], pid, now + timedelta(days=2))).fetchone()["id"]
        # Batches (and the reaper): another clinic in such a zone, with an attempt that went stale. Its batch cannot
        # be built (one transaction per pass: a pass that stopped there would commit no batch at all), and its
        # attempt cannot be ended through the retry policy.
        # Its retry-policy override is one no version of the CLI accepts (a hand edit): the reaper cannot apply it.
        mars_clinic = conn.execute("INSERT INTO clinics (slug, name, timezone, us_state, retry_policy) VALUES"
                                   " ('aaa-mars', 'Mars Clinic', 'Mars/Olympus_Mons', 'NY', %s) RETURNING id",
                                   ('{"lost_minutes": "soon"}',)).fetchone()["id"]
        pid = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, 'Mars Clinic Patient', %s)"
                           " RETURNING id", (mars_clinic, "+12125553992")).fetchone()["id"]
        appt = conn.execute("INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at)"
                            " VALUES (%s, 'poison-mars-clinic', %s, %s) RETURNING id",
                            (mars_clinic, pid, now + timedelta(days=2))).fetchone()["id"]
        mars_stale = conn.execute("INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone,"
                                  " status, planned_at, dispatched_at) VALUES (%s, %s, 1, '+12125553992',"
                                  " 'dispatched', %s, %s) RETURNING id",
                                  (mars_clinic, appt, now - timedelta(minutes=20),
                                   now - timedelta(minutes=20))).fetchone()["id"]
        conn.commit()
    night = start_night(night_stack, night_clinic, "poison")
    night.fault = {"fault": "poisoned row in each beat job (reaper, planner, batches) all night",
                   "calls_in_flight": 0, "attempts_queued": 0}
    night.t_fault = time.monotonic()
    figures = settle_and_check(night)

    failures = night.query("SELECT data->>'job' AS job, subject_id, clinic_id FROM events"
                           " WHERE kind = 'beat.row_failed'")
    jobs = {f["job"] for f in failures}
    assert {"reaper", "planner", "batches"} <= jobs, failures
    year_one_row = night.query("SELECT outcome FROM call_attempts WHERE id = %s", (stale,))[0]
    assert year_one_row["outcome"] == "lost"                              # the row no longer stops the reaper
    row = night.query("SELECT outcome, error FROM call_attempts WHERE id = %s", (mars_stale,))[0]
    assert row["outcome"] == "lost" and "quarantined" in (row["error"] or "")      # ended once, not every tick
    assert [f["subject_id"] for f in failures if f["job"] == "reaper"] == [mars_stale]
    assert not night.query("SELECT 1 FROM call_attempts WHERE appointment_id = %s", (mars,))   # never planned
    assert not night_stack._legs_to(POISON_NUMBER)                                           # never rung
    today = night.clock.now().astimezone(ZoneInfo(night_clinic["timezone"])).date()
    assert night.query("SELECT 1 FROM batches WHERE clinic_id = %s AND batch_date <= %s",
                       (night_clinic["id"], today)), "the good clinic's batch was not built"
    figures["row_failures"] = {job: sum(f["job"] == job for f in failures) for job in sorted(jobs)}


def test_celery_worker_killed_mid_night(night_stack: RealCallStack, night_clinic: dict[str, Any]) -> None:
    night = start_night(night_stack, night_clinic, "celery")
    set_pacing(night, 0.1)     # one dispatch every 10 s: the others wait in the worker (sleeping, or as ETA tasks)
    try:
        drive(night, until=until_live(1, 1), timeout=150)
        inject(night, "kill -9 Celery worker mid-night", lambda: night_stack.kill_process("celery"))
        wait(3)
        night_stack.start_process("celery")
        settle_and_check(night)
    finally:
        set_pacing(night, 1)


def test_beat_killed_mid_night(night_stack: RealCallStack, night_clinic: dict[str, Any]) -> None:
    night = start_night(night_stack, night_clinic, "beat")
    drive(night, until=until_live(1), timeout=150)
    inject(night, "kill -9 beat mid-night", lambda: night_stack.kill_process("beat"))
    wait(8)
    night_stack.start_process("beat")
    settle_and_check(night)


def test_redis_flushed_mid_night(night_stack: RealCallStack, night_clinic: dict[str, Any],
                                 private_redis: PrivateRedis) -> None:
    import redis

    broker = redis.Redis.from_url(private_redis.url)
    night = start_night(night_stack, night_clinic, "redis")
    set_pacing(night, 0.1, capacity=3)
    try:
        started = time.monotonic()

        def call_up_and_a_task_in_redis(attempts: list[dict[str, Any]]) -> bool:
            # Best effort on the task still in the Redis list (timing on a loaded machine): after 40 s a call in
            # flight and a dispatch queued anywhere will do; the figures say how many were in Redis.
            return until_live(1, 1)(attempts) and (bool(broker.llen(night_stack.queue))
                                                    or time.monotonic() - started > 40)

        drive(night, until=call_up_and_a_task_in_redis, timeout=150)
        in_redis = int(broker.llen(night_stack.queue))
        inject(night, "Redis FLUSHALL mid-night (the dialer's broker, clock and pacing)", private_redis.flush)
        night.fault["tasks_in_redis_flushed"] = in_redis
        settle_and_check(night)
    finally:
        set_pacing(night, 1, capacity=2)


def test_postgres_restarted_mid_night(night_stack: RealCallStack, night_clinic: dict[str, Any],
                                      private_pg: PrivatePostgres) -> None:
    night = start_night(night_stack, night_clinic, "postgres")
    drive(night, until=until_live(1), timeout=150)
    voicemail = next(a for a in night.attempts() if a["status"] == "in_call")
    # Down from the answering machine's verdict on: the message, the hang-up and the call's final write all fall
    # inside the outage.
    deadline = time.monotonic() + 60
    while f'"attempt_id": {voicemail["id"]}' not in "".join(
            line for line in night_stack.log_path("agent").read_text(errors="replace").splitlines()
            if "amd verdict" in line):
        assert time.monotonic() < deadline, "no AMD verdict on the voicemail call"
        time.sleep(0.2)

    def restart() -> None:
        private_pg.pg_stop("immediate")   # a crash: every connection of every process dies
        time.sleep(15)
        private_pg.pg_start()

    inject(night, "Postgres crashed mid-call, back 15 s later (the call's final write inside the outage)", restart)
    settle_and_check(night)
