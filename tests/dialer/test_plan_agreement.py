"""The dry run explains exactly the decision the tick makes: a property test over random clinics,
appointments, attempts and instants.

Hypothesis builds a clinic (zone, hours, closed days, state rule, call-ahead interval, capacity,
guardrails, retry limit, paused or not, ready or not), a handful of appointments (statuses, attempt
counts, retries due or not, callbacks, patients' zones, numbers from several countries and US states,
numbers shared by siblings, test copies), the DNC list, past and in-flight attempts, and an instant that
is often on an edge: the clinic's opening or closing minute, 08:00/21:00 (or a state's 20:00) in a
patient's zone, a DST change. For each state, `planner.explain` (the dry run) and `planner.plan_clinic`
(the tick's work for one clinic, in a transaction that is then rolled back) must pick the same
appointments in the same order, and the dry run must give every other one a reason.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from dialer import planner
from tests.conftest import READY_SETTINGS

Conn = psycopg.Connection[dict[str, Any]]

CLINIC_ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "America/Phoenix",
                "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
PATIENT_ZONES = [None] * 8 + [ "America/New_York", "America/Los_Angeles", "America/Denver", "Asia/Tokyo",
                 "Europe/Berlin", "Australia/Adelaide", "Not/AZone"]
# US numbers in several states (each state's rule applies), other countries' numbers (their own zones),
# a mobile prefix that spans zones, and one libphonenumber cannot place (falls back to the clinic's zone).
# Numbers local to the clinic (most of a list; siblings share them), and others: US numbers in other states
# (their rules apply too), other countries' numbers (their own zones), a mobile prefix spanning several zones,
# one libphonenumber cannot place (falls back to the clinic's zone).
LOCAL_PREFIX = {"America/New_York": "+1212555", "America/Chicago": "+1312555", "America/Los_Angeles": "+1415555",
                "America/Phoenix": "+1602555", "Europe/London": "+44207123", "Australia/Sydney": "+61292345",
                "Asia/Kolkata": "+91223456"}
OTHER_PHONES = ["+13055550103", "+12145550104", "+14015550106", "+81312345678", "+61412345678", "+442071234567",
                "+4930123456", "+99912345678"]
STATES = [None, None, None, "NY", "NY", "FL", "TX", "CA", "RI", "AL"]
OUTCOMES = ["busy", "no_answer", "failed", "lost", "voicemail_left", "callback_requested", "hung_up", "confirmed"]
# Days around DST changes (US, EU, AU) and ordinary weekdays and weekends.
DAYS = [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 29), date(2026, 3, 30), date(2026, 4, 5),
        date(2026, 4, 6), date(2026, 10, 4), date(2026, 10, 5), date(2026, 10, 25), date(2026, 10, 26),
        date(2026, 11, 1), date(2026, 11, 2), date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12),
        date(2026, 3, 13), date(2026, 3, 14), date(2026, 7, 4), date(2026, 12, 31)]
EDGES = [time(8), time(9), time(19), time(20), time(21), time(12), time(10), time(1), time(2, 30)]


@dataclass(frozen=True)
class Attempt:
    hours_ago: float
    outcome: str | None          # None = in flight
    dialed: bool                 # reached the phone network (counts for the guardrails)


@dataclass(frozen=True)
class Appt:
    starts: tuple[str, float]    # ("from"/"to"/"now", hours): relative to the call-ahead interval's ends or now
    phone: str
    tz: str | None
    status: str
    attempts_count: int
    next_in_minutes: int | None  # next_attempt_at relative to now, None = as soon as possible
    callback_in_minutes: int | None
    is_test: bool
    attempts: tuple[Attempt, ...]


@dataclass(frozen=True)
class World:
    clinic_tz: str
    hours: tuple[time, time]
    closed_weekdays: frozenset[int]
    closed_today: bool
    us_state: str | None
    call_ahead_min_h: int
    call_ahead_span_h: int
    capacity: int
    guardrails: bool
    per_day: int
    per_week: int
    max_attempts: int
    paused: bool
    batch_paused: bool
    ready: bool
    dnc: tuple[tuple[str, bool], ...]  # (phone, clinic-specific)
    appts: tuple[Appt, ...]
    now: datetime


attempts_st = st.builds(Attempt, hours_ago=st.sampled_from([0.0, 0.5, 3, 20, 30, 24 * 5, 24 * 8]),
                        outcome=st.sampled_from([None, *OUTCOMES]), dialed=st.booleans())


def _one_in_flight(attempts: list[Attempt]) -> tuple[Attempt, ...]:
    """The database allows one in-flight attempt per appointment: later ones get an outcome."""
    out, seen = [], False
    for a in attempts:
        if a.outcome is None:
            if seen:
                a = Attempt(a.hours_ago, "lost", a.dialed)
            seen = True
        out.append(a)
    return tuple(out)


appt_st = st.builds(
    Appt,
    # Mostly inside the clinic's call-ahead interval, often on its very ends, sometimes the instant itself.
    starts=st.one_of(st.tuples(st.sampled_from(["from", "to"]), st.sampled_from([0, -1 / 3600, 1 / 3600])),
                     st.tuples(st.just("from"), st.floats(min_value=0, max_value=1, allow_nan=False)),
                     st.tuples(st.just("from"), st.floats(min_value=0, max_value=1, allow_nan=False)),
                     st.tuples(st.just("now"), st.sampled_from([-1.0, 0.0, 1 / 3600, 100.0]))),
    phone=st.one_of(st.integers(0, 4).map(lambda i: f"local{i}"), st.sampled_from(OTHER_PHONES)),
    tz=st.sampled_from(PATIENT_ZONES),
    status=st.sampled_from(["pending"] * 12 + ["unreachable", "confirmed", "staff_followup"]),
    attempts_count=st.sampled_from([0] * 6 + [1, 1, 2, 3, 4]),
    next_in_minutes=st.one_of(st.none(), st.none(), st.sampled_from([-60, -1, 0, 1, 60])),
    callback_in_minutes=st.one_of(st.none(), st.sampled_from([-30, 0, 30])),
    is_test=st.integers(0, 5).map(lambda n: n == 0),
    attempts=st.one_of(st.just(()), st.lists(attempts_st, max_size=2).map(_one_in_flight)),
)


@st.composite
def instants(draw: st.DrawFn, clinic_tz: str, hours: tuple[time, time]) -> datetime:
    """Often an edge: the clinic's opening/closing minute or 08:00/20:00/21:00 in some zone, ± a minute."""
    day = draw(st.sampled_from(DAYS))
    if draw(st.booleans()):  # anywhere inside the clinic's hours, where most calls are placed
        start = datetime.combine(day, hours[0], tzinfo=ZoneInfo(clinic_tz))
        span = datetime.combine(day, hours[1], tzinfo=ZoneInfo(clinic_tz)) - start
        return (start + span * draw(st.floats(0, 1, exclude_max=True))).astimezone(UTC)
    zone = draw(st.sampled_from([clinic_tz, *[z for z in PATIENT_ZONES if z and z != "Not/AZone"],
                                 "Asia/Tokyo", "Australia/Sydney"]))
    t = draw(st.sampled_from([*EDGES, hours[0], hours[1]]))
    local = datetime.combine(day, t, tzinfo=ZoneInfo(zone))
    delta = draw(st.sampled_from([timedelta(0), timedelta(minutes=-1), timedelta(seconds=-1), timedelta(minutes=1),
                                  timedelta(minutes=draw(st.integers(-600, 600)))]))
    return (local + delta).astimezone(UTC)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    clinic_tz = draw(st.sampled_from(CLINIC_ZONES))
    start = draw(st.sampled_from([time(0), time(8), time(9), time(10), time(12)]))
    end = draw(st.sampled_from([t for t in (time(17), time(19), time(20), time(21), time(23, 59)) if t > start]))
    local = LOCAL_PREFIX[clinic_tz]
    appts = [a if not a.phone.startswith("local") else Appt(**{**a.__dict__, "phone": f"{local}{a.phone[-1]:0>4}"})
             for a in draw(st.lists(appt_st, min_size=1, max_size=8))]
    phones = sorted({a.phone for a in appts})
    dnc = tuple((p, draw(st.booleans())) for p in phones if draw(st.integers(0, 15)) == 0)
    return World(
        clinic_tz=clinic_tz, hours=(start, end),
        closed_weekdays=draw(st.sampled_from([frozenset(), frozenset({7}), frozenset(), frozenset({6, 7}),
                                              frozenset({2})])),
        closed_today=draw(st.integers(0, 15)) == 0, us_state=draw(st.sampled_from(STATES)),
        call_ahead_min_h=draw(st.sampled_from([0, 2, 24])), call_ahead_span_h=draw(st.sampled_from([1, 48, 72])),
        capacity=draw(st.integers(1, 4)), guardrails=draw(st.integers(0, 5)) > 0, per_day=draw(st.integers(1, 2)),
        per_week=draw(st.integers(1, 4)), max_attempts=draw(st.sampled_from([1, 2, 3, 3, 3, 3, 3, 4])),
        paused=draw(st.integers(0, 19)) == 0, batch_paused=draw(st.integers(0, 19)) == 0,
        ready=draw(st.integers(0, 19)) > 0, dnc=dnc, appts=tuple(appts),
        now=draw(instants(clinic_tz, (start, end))))


_slugs = itertools.count()


def _starts_at(w: World, a: Appt) -> datetime:
    anchor, hours = a.starts
    if anchor == "now":
        return w.now + timedelta(hours=hours)
    if anchor == "to":
        return w.now + timedelta(hours=w.call_ahead_min_h + w.call_ahead_span_h + hours)
    return w.now + timedelta(hours=w.call_ahead_min_h + hours * w.call_ahead_span_h if 0 < hours < 1
                             else w.call_ahead_min_h + hours)


def _build(conn: Conn, w: World) -> dict[str, Any]:
    now = w.now
    local_today = now.astimezone(ZoneInfo(w.clinic_tz)).date()
    cols: dict[str, Any] = {
        "slug": f"prop-{next(_slugs)}", "name": "Prop Clinic", "timezone": w.clinic_tz, "us_state": w.us_state,
        "calling_hours_start": w.hours[0], "calling_hours_end": w.hours[1],
        "closed_weekdays": sorted(w.closed_weekdays), "closed_dates": [local_today] if w.closed_today else [],
        "call_ahead_min": timedelta(hours=w.call_ahead_min_h),
        "call_ahead_max": timedelta(hours=w.call_ahead_min_h + w.call_ahead_span_h),
        "max_concurrent_calls": w.capacity, "guardrails_enabled": w.guardrails,
        "max_calls_per_number_per_day": w.per_day, "max_calls_per_number_per_week": w.per_week,
        "retry_policy": Jsonb({"max_attempts": w.max_attempts}), "paused_at": now - timedelta(hours=1) if w.paused
        else None, **(READY_SETTINGS if w.ready else {})}
    clinic = conn.execute(f"INSERT INTO clinics ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
                          " RETURNING *", list(cols.values())).fetchone()
    assert clinic is not None
    cid = clinic["id"]
    if w.ready:
        conn.execute("INSERT INTO slots (clinic_id, provider, starts_at) VALUES (%s, 'Dr. P', %s)",
                     (cid, now + timedelta(days=30)))
    if w.batch_paused:
        conn.execute("INSERT INTO batches (clinic_id, batch_date, built_at, paused_at) VALUES (%s, %s, %s, %s)",
                     (cid, local_today, now - timedelta(hours=5), now - timedelta(hours=1)))
    for phone, own in w.dnc:
        conn.execute("INSERT INTO dnc (clinic_id, phone, reason, source) VALUES (%s, %s, 'asked', 'staff')"
                     " ON CONFLICT DO NOTHING", (cid if own else None, phone))
    for i, a in enumerate(w.appts):
        pid = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, %s, %s) RETURNING id",
                           (cid, f"Patient {i}", a.phone)).fetchone()["id"]
        callback_at = None if a.callback_in_minutes is None else now + timedelta(minutes=a.callback_in_minutes)
        aid = conn.execute(
            "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, timezone, status,"
            " attempts_count, next_attempt_at, last_outcome, callback_at, is_test)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (cid, f"E{i}", pid, _starts_at(w, a), a.tz, a.status, a.attempts_count,
             None if a.next_in_minutes is None else now + timedelta(minutes=a.next_in_minutes),
             "callback_requested" if callback_at else None, callback_at, a.is_test)).fetchone()["id"]
        for n, att in enumerate(a.attempts, start=1):
            at = now - timedelta(hours=att.hours_ago)
            conn.execute(
                "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, planned_at, status,"
                " outcome, dial_started_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (cid, aid, n, a.phone, at, "ended" if att.outcome else "dispatched", att.outcome,
                 at if att.dialed else None))
    row = conn.execute("SELECT * FROM clinics WHERE id = %s", (cid,)).fetchone()
    assert row is not None
    return row


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(world=worlds())
def test_dry_run_and_tick_agree_on_every_appointment(conn: Conn, world: World) -> None:
    try:
        note(repr(world))
        clinic = _build(conn, world)
        dry = planner.explain(conn, clinic, world.now)
        tick = planner.plan_clinic(conn, clinic, world.now, mode="sim")
        listed = [d["appointment_id"] for d in dry.dial] + [s["appointment_id"] for s in dry.skipped]
        assert len(listed) == len(set(listed)), "an appointment is listed twice"
        assert all(s["reason"] for s in dry.skipped)
        assert [d["appointment_id"] for d in tick.dial] == [d["appointment_id"] for d in dry.dial], (
            f"dry run {dry.as_json()} vs tick {[d['external_id'] for d in tick.dial]}")
        assert tick.not_ready == dry.not_ready or tick.dial == []
        event(f"dialed {min(len(tick.dial), 2)}")
        event(f"listed {min(len(listed), 3)}")
        for s in dry.skipped:
            event(f"reason {s['reason']}")
    finally:
        conn.rollback()
