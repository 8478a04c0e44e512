"""Run a call list through the whole system in simulated time and report what became of each appointment.

What is real: the call-list import, the planner, Celery worker and beat, dispatch through the LiveKit API
client, the agent's call code and tools, the retry policy, the reaper and every Postgres write. What is
simulated: the LiveKit server (the stand-in), the phone network and its personas, and time.

Time. Every process reads one simulated clock (clinic.clock.SharedSimClock, anchored in Redis under this
run's key). It starts at 01:00 on the first calling day for the list, runs at `speed` x while anything is
happening, and jumps ahead when nothing can happen until later (no call in flight and the planner's own
dry run says nobody is callable now): to the next retry time, the next appointment becoming due, the next
batch time or calling-window opening. If calls in flight stop moving (a crashed job), simulated time
moves on in small steps so the reaper can find them, as it would in a real night.

The run ends when every appointment of the list has left `pending` with nothing in flight, or fails on
the wall-clock timeout.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

from clinic import clinics
from clinic.call_lists.importer import import_call_list
from clinic.call_lists.report import ImportReport
from clinic.calling_calendar import ClinicCalendar
from clinic.clock import SharedSimClock
from dialer import planner
from sim.call_model import modelled_cost, spoken_seconds
from sim.personas import get_spec
from sim.phone_network import SimRow, read_call_list
from sim.readiness import make_simulable
from sim.services import Namespace, Services

STALL_WALL_SECONDS = 30.0         # in-flight calls unchanged this long (wall) -> let simulated time pass
STALL_STEP = timedelta(minutes=15)  # ... past every reaper deadline (planned 10 min, in call 12.5 min)


class RunError(RuntimeError):
    """The run could not be completed (a service died, the timeout passed); the message says what to check."""


@dataclass
class Progress:
    sim_now: datetime
    settled: int
    total: int
    in_flight: int
    attempts: int
    by_status: dict[str, int]


@dataclass
class AppointmentResult:
    external_id: str
    appointment_id: int
    persona: str
    status: str
    outcome: str | None
    attempts: int
    outcomes: list[str]
    attempt_ids: list[int]
    on_dnc: bool
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"external_id": self.external_id, "status": self.status, "outcome": self.outcome,
                "attempts": self.attempts, "outcomes": self.outcomes, "persona": self.persona,
                "attempt_ids": self.attempt_ids, "problems": self.problems}


@dataclass
class RunReport:
    clinic_slug: str
    seed: str
    sim_start: datetime
    sim_end: datetime
    wall_seconds: float
    import_report: ImportReport
    results: list[AppointmentResult]
    attempts: list[dict[str, Any]]
    batches: list[dict[str, Any]]
    problems: list[str]
    restarts: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.problems and all(not r.problems for r in self.results)

    def figures(self) -> dict[str, Any]:
        """The numbers the summary shows: outcomes, attempts, confirmation rate, cost, call lengths."""
        from clinic.settings import get_settings

        total = len(self.results)
        kept = sum(1 for r in self.results if r.status in ("confirmed", "rescheduled"))
        answered = [a for a in self.attempts if a["answered_at"] is not None and a["outcome"] != "lost"]
        lengths = [spoken_seconds(a["transcript"]) for a in answered]
        prices = get_settings().agent_prices
        modelled = sum(modelled_cost(a["transcript"], prices) for a in answered)
        recorded = sum(float(a["cost_usd"] or 0) for a in self.attempts)
        return {
            "appointments": total,
            "by_status": dict(Counter(r.status for r in self.results).most_common()),
            "by_last_outcome": dict(Counter(r.outcome or "-" for r in self.results).most_common()),
            "attempts": len(self.attempts),
            "attempts_by_outcome": dict(Counter(a["outcome"] or "in flight" for a in self.attempts).most_common()),
            "confirmed_or_rescheduled": kept,
            "confirmation_rate": kept / total if total else 0.0,
            "recorded_cost_usd": recorded,
            "modelled_cost_usd": modelled,
            "cost_per_confirmed_usd": modelled / kept if kept else None,
            "answered_calls": len(answered),
            "median_call_seconds": statistics.median(lengths) if lengths else None,
            "p95_call_seconds": _p95(lengths),
            "sim_days": (self.sim_end - self.sim_start).total_seconds() / 86400,
            "wall_seconds": self.wall_seconds,
        }


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def first_calling_night(rows: list[SimRow], clinic: dict[str, Any]) -> datetime:
    """01:00 clinic time on the first calling day on which the earliest appointment is within the
    clinic's call-ahead maximum: the night before the calling starts."""
    if not rows:
        raise RunError("the call list has no usable rows")
    tz = ZoneInfo(clinic["timezone"])
    earliest = min(r.starts_at for r in rows)
    day = (earliest - clinic["call_ahead_max"]).astimezone(tz).date()
    days = ClinicCalendar.from_clinic_row(clinic)
    if not days.is_open(day):
        day = days.next_open_day(day)
    return datetime.combine(day, datetime.min.time().replace(hour=1), tzinfo=tz)


@dataclass
class SimRun:
    """One run. `chaos(run, sim_now)` is called every loop (the chaos test kills services from it)."""

    call_list: Path
    clinic_slug: str
    seed: str = "0"
    speed: float = 20.0
    wall_timeout: float = 170.0
    worker_concurrency: int = 2
    use_llm: bool = False
    stall_wall_seconds: float = STALL_WALL_SECONDS
    on_progress: Callable[[Progress], None] | None = None
    chaos: Callable[[SimRun, datetime], None] | None = None
    database_url: str | None = None
    redis_url: str | None = None
    services: Services | None = None
    workdir: Path | None = None
    notices: list[str] = field(default_factory=list)  # what the run gave an unready clinic (sim.readiness)

    def _connect(self) -> psycopg.Connection[dict[str, Any]]:
        from clinic.settings import get_settings

        return psycopg.connect(self.database_url or get_settings().database_url, row_factory=dict_row,
                               autocommit=True)

    def execute(self) -> RunReport:
        from clinic.settings import get_settings

        started = time.monotonic()
        data = self.call_list.read_bytes()
        s = get_settings()
        db_url, redis_url = self.database_url or s.database_url, self.redis_url or s.redis_url
        with self._connect() as conn:
            clinic = clinics.get_by_slug(conn, self.clinic_slug)
            rows = read_call_list(data, clinic_timezone=clinic["timezone"], country=clinic.get("country") or "US")
            sim_start = first_calling_night(rows, clinic)
        with psycopg.connect(db_url, row_factory=dict_row) as conn:
            report = import_call_list(conn, clinic, data, filename=self.call_list.name, source="demo", now=sim_start)
            providers = [r["provider"] for r in conn.execute(
                "SELECT DISTINCT provider FROM appointments WHERE clinic_id = %s AND external_id = ANY(%s)"
                " AND provider IS NOT NULL ORDER BY 1", (clinic["id"], [r.external_id for r in rows])).fetchall()]
            self.notices.extend(make_simulable(conn, clinic, providers=providers, first_day=sim_start.date()))
            conn.commit()

        ns = Namespace(f"sim-{uuid.uuid4().hex[:8]}")
        self.workdir = self.workdir or Path(tempfile.mkdtemp(prefix=f"{ns.name}-"))
        clock = SharedSimClock(redis_url, key=ns.clock_key)
        clock.start(sim_start, self.speed)
        self.services = Services(ns, self.workdir, self.call_list, seed=self.seed, speed=self.speed,
                                 worker_concurrency=self.worker_concurrency, use_llm=self.use_llm,
                                 clinic_slugs=[self.clinic_slug], database_url=db_url, redis_url=redis_url)
        problems: list[str] = []
        try:
            self.services.start_all()
            sim_end = self._drive(clock, clinic, rows, started, problems)
        finally:
            self.services.stop_all()
            import redis as redis_lib

            r = redis_lib.Redis.from_url(redis_url)
            keys = list(r.scan_iter(f"{ns.name}*"))
            if keys:
                r.delete(*keys)
        if self.services.hook_failures():
            problems.append(f"{self.services.hook_failures()} agent job(s) crashed in the stand-in; see "
                            f"{self.services.log_path('standin')}")
        with self._connect() as conn:
            results, attempts = collect(conn, clinic["id"], rows)
            batches = conn.execute("SELECT * FROM batch_progress WHERE clinic_id = %s ORDER BY batch_date",
                                   (clinic["id"],)).fetchall()
            problems.extend(overlapping_attempts(conn, [r.appointment_id for r in results]))
        return RunReport(self.clinic_slug, self.seed, sim_start, sim_end, time.monotonic() - started, report,
                         results, attempts, batches, problems, dict(self.services.restarts))

    # -- the loop -------------------------------------------------------------------------------------
    def _drive(self, clock: SharedSimClock, clinic: dict[str, Any], rows: list[SimRow], started: float,
               problems: list[str]) -> datetime:
        from celery import Celery

        assert self.services is not None
        celery = Celery(broker=self.services.redis_url)
        queue = self.services.namespace.queue

        def send(task: str) -> None:
            celery.send_task(task, queue=queue)

        ext_ids = [r.external_id for r in rows]
        horizon = max(r.starts_at for r in rows)
        last_change = (None, time.monotonic())
        with self._connect() as conn:
            send("dialer.tasks.build_batches")
            while True:
                now = clock.now()
                state = _state(conn, clinic["id"], ext_ids)
                if self.on_progress:
                    self.on_progress(Progress(now, state["settled"], len(ext_ids), state["in_flight"],
                                              state["attempts"], state["by_status"]))
                if self.chaos:
                    self.chaos(self, now)
                dead = self.services.dead()
                if dead:
                    names = ", ".join(dead)
                    raise RunError(f"{names} exited unexpectedly; last lines:\n"
                                   + "\n".join(self.services.log_tail(n) for n in dead))
                if time.monotonic() - started > self.wall_timeout:
                    problems.append(f"timed out after {self.wall_timeout:.0f}s wall time at simulated {now:%a %H:%M}"
                                    f" with {len(ext_ids) - state['settled']} appointment(s) unsettled")
                    return now
                if state["settled"] == len(ext_ids) and state["in_flight"] == 0:
                    return now
                if state["in_flight"]:
                    fingerprint = state["flight_fingerprint"]
                    if fingerprint != last_change[0]:
                        last_change = (fingerprint, time.monotonic())
                    elif time.monotonic() - last_change[1] > self.stall_wall_seconds:
                        clock.jump(now + STALL_STEP)       # let the reaper see calls that stopped moving
                        send("dialer.tasks.reap")
                        last_change = (fingerprint, time.monotonic())
                    time.sleep(0.2)
                    continue
                if now > horizon:
                    problems.append("simulated time passed the last appointment with appointments still pending")
                    return now
                plan = planner.explain(conn, conn.execute("SELECT * FROM clinics WHERE id = %s",
                                                          (clinic["id"],)).fetchone(), now)
                if plan.dial:
                    send("dialer.tasks.plan_tick")
                    time.sleep(0.3)
                    continue
                target = next_event(conn, clinic, ext_ids, now)
                if target is None or target > horizon:
                    problems.append(f"nothing left that could happen, with appointments still pending at "
                                    f"simulated {now:%Y-%m-%d %H:%M}")
                    return now
                clock.jump(target)
                send("dialer.tasks.build_batches")
                send("dialer.tasks.plan_tick")
                time.sleep(0.1)


_STATE_SQL = """
SELECT a.status, count(*) AS n,
       count(ca.id) FILTER (WHERE ca.outcome IS NULL) AS in_flight,
       string_agg(ca.id || ca.status, ',') FILTER (WHERE ca.outcome IS NULL) AS fingerprint
FROM appointments a LEFT JOIN call_attempts ca ON ca.appointment_id = a.id AND ca.outcome IS NULL
WHERE a.clinic_id = %s AND a.external_id = ANY(%s)
GROUP BY a.status
"""


def _state(conn: psycopg.Connection[Any], clinic_id: int, ext_ids: list[str]) -> dict[str, Any]:
    rows = conn.execute(_STATE_SQL, (clinic_id, ext_ids)).fetchall()
    by_status = {r["status"]: int(r["n"]) for r in rows}
    attempts = conn.execute("SELECT count(*) AS n FROM call_attempts ca JOIN appointments a ON a.id = ca.appointment_id"
                            " WHERE a.clinic_id = %s AND a.external_id = ANY(%s)", (clinic_id, ext_ids)).fetchone()
    return {"by_status": by_status, "settled": sum(n for s, n in by_status.items() if s != "pending"),
            "in_flight": sum(int(r["in_flight"]) for r in rows),
            "flight_fingerprint": ",".join(sorted(r["fingerprint"] or "" for r in rows)),
            "attempts": int(attempts["n"]) if attempts else 0}


def next_event(conn: psycopg.Connection[Any], clinic: dict[str, Any], ext_ids: list[str],
               now: datetime) -> datetime | None:
    """The next instant at which the planner's answer could change: a retry comes due, an appointment
    enters the call-ahead range, a batch is built, or a calling window opens (clinic or patient time)."""
    rows = conn.execute(
        "SELECT next_attempt_at, starts_at, timezone FROM appointments"
        " WHERE clinic_id = %s AND external_id = ANY(%s) AND status = 'pending'", (clinic["id"], ext_ids)).fetchall()
    candidates: list[datetime] = []
    for r in rows:
        if r["next_attempt_at"]:
            candidates.append(r["next_attempt_at"])
        candidates.append(r["starts_at"] - clinic["call_ahead_max"])
    zones = {clinic["timezone"], *(r["timezone"] for r in rows if r["timezone"])}
    clinic_tz = ZoneInfo(clinic["timezone"])
    today = now.astimezone(clinic_tz).date()
    for offset in range(0, 8):
        day = today + timedelta(days=offset)
        candidates.append(datetime.combine(day, clinic["calling_hours_start"], tzinfo=clinic_tz))
        candidates.append(datetime.combine(day, clinic["batch_time"], tzinfo=clinic_tz))
        for z in zones:
            candidates.append(datetime.combine(day, datetime.min.time().replace(hour=8), tzinfo=ZoneInfo(z)))
    later = [c for c in candidates if c > now + timedelta(seconds=1)]
    return min(later) + timedelta(seconds=1) if later else None


_RESULTS_SQL = """
SELECT a.id, a.external_id, a.status, a.last_outcome, p.phone,
       coalesce(array_agg(ca.outcome ORDER BY ca.attempt_number) FILTER (WHERE ca.id IS NOT NULL), '{}') AS outcomes,
       coalesce(array_agg(ca.id ORDER BY ca.attempt_number) FILTER (WHERE ca.id IS NOT NULL), '{}') AS attempt_ids,
       EXISTS (SELECT 1 FROM dnc d WHERE d.phone = p.phone AND (d.clinic_id = a.clinic_id OR d.clinic_id IS NULL))
           AS on_dnc
FROM appointments a JOIN patients p ON p.id = a.patient_id
LEFT JOIN call_attempts ca ON ca.appointment_id = a.id
WHERE a.clinic_id = %s AND a.external_id = ANY(%s)
GROUP BY a.id, p.phone
"""


def collect(conn: psycopg.Connection[Any], clinic_id: int,
            rows: list[SimRow]) -> tuple[list[AppointmentResult], list[dict[str, Any]]]:
    """Each appointment's final state checked against its persona, and every attempt of the run."""
    by_ext = {r.external_id: r for r in rows}
    found = {r["external_id"]: r for r in conn.execute(_RESULTS_SQL, (clinic_id, list(by_ext))).fetchall()}
    results: list[AppointmentResult] = []
    for ext, sim_row in by_ext.items():
        db = found.get(ext)
        if db is None:
            results.append(AppointmentResult(ext, 0, sim_row.persona, "missing", None, 0, [], [], False,
                                             ["not imported (see the import report)"]))
            continue
        outcomes = [o for o in db["outcomes"] if o is not None]
        last = next((o for o in reversed(db["outcomes"]) if o is not None), None)
        res = AppointmentResult(ext, db["id"], sim_row.persona, db["status"], last, len(db["attempt_ids"]),
                                outcomes, list(db["attempt_ids"]), bool(db["on_dnc"]))
        res.problems = get_spec(sim_row.persona).problems(res.status, outcomes, res.on_dnc)
        results.append(res)
    attempts = conn.execute(
        "SELECT ca.* FROM call_attempts ca JOIN appointments a ON a.id = ca.appointment_id"
        " WHERE a.clinic_id = %s AND a.external_id = ANY(%s) ORDER BY ca.id", (clinic_id, list(by_ext))).fetchall()
    return sorted(results, key=lambda r: r.external_id), attempts


def overlapping_attempts(conn: psycopg.Connection[Any], appointment_ids: list[int]) -> list[str]:
    """An appointment dialed twice at once: two of its attempts whose planned..ended spans overlap."""
    rows = conn.execute(
        "SELECT a1.appointment_id, a1.id AS first, a2.id AS second FROM call_attempts a1"
        " JOIN call_attempts a2 ON a2.appointment_id = a1.appointment_id AND a2.id > a1.id"
        " WHERE a1.appointment_id = ANY(%s)"
        " AND a2.planned_at < coalesce(a1.ended_at, 'infinity'::timestamptz)"
        " AND a1.planned_at < coalesce(a2.ended_at, 'infinity'::timestamptz)", (appointment_ids,)).fetchall()
    return [f"appointment {r['appointment_id']}: attempts {r['first']} and {r['second']} overlap in time"
            for r in rows]
