"""Dispatch through a real Celery worker against the LiveKit stand-in: success, transient, auth errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from clinic.clock import FixedClock, set_clock
from dialer import planner
from tests.dialer.conftest import wait_until
from tests.dialer.factories import appointment

NOW = datetime.now(UTC)


@pytest.fixture
def clinic(conn, make_clinic):
    # Open around the clock so the test does not depend on when it runs (08-21 patient time still applies:
    # the patient's zone is chosen where it is currently midday).
    c = make_clinic(calling_hours="00:00-23:59", timezone="UTC", state=None, closed_weekdays=[],
                    max_concurrent_calls=50, calls_per_second=20, sip_trunk_id="ST_test")
    return conn.execute("SELECT * FROM clinics WHERE id = %s", (c["id"],)).fetchone()


def _midday_zone() -> str:
    for tz in ("Asia/Tokyo", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Pacific/Honolulu",
               "Asia/Kolkata", "Australia/Sydney"):
        from zoneinfo import ZoneInfo

        if 10 <= datetime.now(ZoneInfo(tz)).hour < 19:
            return tz
    return "UTC"


def _plan(conn, clinic, n: int) -> list[int]:
    tz = _midday_zone()
    for i in range(n):
        appointment(conn, clinic["id"], f"D{i}", NOW + timedelta(days=2), phone=f"+1415555{i:04d}", tz=tz)
    conn.commit()
    r = planner.plan_clinic(conn, clinic, NOW)
    conn.commit()
    return [d["attempt_id"] for d in r.dial]


def _attempt(conn, attempt_id: int) -> dict:
    conn.commit()
    return conn.execute("SELECT * FROM call_attempts WHERE id = %s", (attempt_id,)).fetchone()


def test_dispatch_success_through_worker(conn, clinic, standin, celery_workers) -> None:
    from dialer.tasks import enqueue_dispatch

    ids = _plan(conn, clinic, 3)
    assert len(ids) == 3
    celery_workers(1)
    for i in ids:
        enqueue_dispatch(i)
        enqueue_dispatch(i)  # a duplicate message must not dispatch twice
    wait_until(lambda: all(_attempt(conn, i)["status"] == "dispatched" for i in ids), 30, "dispatches")
    calls = standin.calls_to("CreateDispatch")
    assert sorted(c.request.room for c in calls) == sorted(f"call-{i}" for i in ids)
    for c in calls:
        assert json.loads(c.request.metadata) == {"attempt_id": int(c.request.room.removeprefix("call-"))}
        assert c.request.agent_name == "appointment-confirmer"
    assert _attempt(conn, ids[0])["dispatch_id"].startswith("AD_")


def test_transient_error_retries_then_dispatches(conn, clinic, standin, celery_workers) -> None:
    from dialer.tasks import enqueue_dispatch

    [aid] = _plan(conn, clinic, 1)
    standin.fail_next("AgentDispatchService", "CreateDispatch", "unavailable", times=1)
    celery_workers(1)
    enqueue_dispatch(aid)
    wait_until(lambda: _attempt(conn, aid)["status"] == "dispatched", 30, "retry after 503")
    errors = [c.error for c in standin.calls_to("CreateDispatch")]
    assert errors[0] == "unavailable" and errors[-1] is None


def test_auth_error_fails_the_attempt(conn, clinic, standin, monkeypatch) -> None:
    from clinic.settings import get_settings
    from dialer.dispatch import run_dispatch
    from dialer.tasks import _get_pacer

    [aid] = _plan(conn, clinic, 1)
    monkeypatch.setenv("LIVEKIT_API_SECRET", "not-the-secret-not-the-secret-0000")
    get_settings.cache_clear()
    set_clock(FixedClock(NOW))
    try:
        assert run_dispatch(aid, _get_pacer()).status == "failed"
    finally:
        set_clock(None)
    row = _attempt(conn, aid)
    assert (row["outcome"], standin.calls_to("CreateDispatch")[-1].error) == ("failed", "unauthenticated")
    assert "unauthenticated" in row["error"]
    appt = conn.execute("SELECT * FROM appointments WHERE id = %s", (row["appointment_id"],)).fetchone()
    assert appt["status"] == "pending" and appt["next_attempt_at"] is not None


def test_dispatch_rechecks_a_batch_paused_after_planning(conn, clinic, standin) -> None:
    from dialer import batches
    from dialer.dispatch import run_dispatch
    from dialer.tasks import _get_pacer

    [aid] = _plan(conn, clinic, 1)
    b = batches.build_batch(conn, clinic, NOW.date(), NOW)
    conn.execute("UPDATE batches SET paused_at = %s WHERE id = %s", (NOW, b["batch_id"]))
    conn.commit()
    set_clock(FixedClock(NOW))
    try:
        assert run_dispatch(aid, _get_pacer()).status == "lost"
    finally:
        set_clock(None)
    row = _attempt(conn, aid)
    assert (row["outcome"], row["error"]) == ("lost", "not dispatched: batch paused")
    assert standin.calls_to("CreateDispatch") == []


@pytest.mark.parametrize("scope", ["clinic", "global"])
def test_a_number_put_on_dnc_after_planning_is_never_dialed(conn, clinic, standin, scope) -> None:
    from clinic import dnc
    from dialer.dispatch import DNC_ERROR, run_dispatch
    from dialer.tasks import _get_pacer

    [aid] = _plan(conn, clinic, 1)
    row = _attempt(conn, aid)
    dnc.add(conn, row["phone"], clinic_id=clinic["id"] if scope == "clinic" else None, reason="asked on SMS")
    conn.commit()
    set_clock(FixedClock(NOW))
    try:
        assert run_dispatch(aid, _get_pacer()).status == "lost"
    finally:
        set_clock(None)
    row = _attempt(conn, aid)
    assert (row["status"], row["outcome"], row["error"], row["dispatch_id"]) == ("ended", "lost", DNC_ERROR, None)
    assert standin.calls_to("CreateDispatch") == []
    appt = conn.execute("SELECT status, next_attempt_at FROM appointments WHERE id = %s",
                        (row["appointment_id"],)).fetchone()
    assert appt == {"status": "staff_followup", "next_attempt_at": None}


def _dispatched(conn, clinic) -> tuple[int, str]:
    from dialer.dispatch import run_dispatch
    from dialer.tasks import _get_pacer

    [aid] = _plan(conn, clinic, 1)
    set_clock(FixedClock(NOW))
    try:
        out = run_dispatch(aid, _get_pacer())
    finally:
        set_clock(None)
    assert out.status == "dispatched" and out.dispatch_id
    return aid, out.dispatch_id


def test_a_job_no_worker_took_ends_lost_at_the_check_not_at_the_reaper(conn, clinic, standin) -> None:
    """LiveKit drops a job no worker has capacity for: the check finds the dispatch without a job, deletes it,
    and ends the attempt `lost` with the reason, and the retry policy books the next call."""
    from dialer.dispatch import DROPPED_ERROR, check_dispatch

    aid, dispatch_id = _dispatched(conn, clinic)   # the stand-in has no worker (no dispatch hook)
    assert check_dispatch(aid, dispatch_id) == "dropped"
    row = _attempt(conn, aid)
    assert (row["status"], row["outcome"], row["error"]) == ("ended", "lost", DROPPED_ERROR)
    assert [c.request.dispatch_id for c in standin.calls_to("DeleteDispatch")] == [dispatch_id]
    appt = conn.execute("SELECT status, next_attempt_at FROM appointments WHERE id = %s",
                        (row["appointment_id"],)).fetchone()
    assert appt["status"] == "pending" and appt["next_attempt_at"] is not None
    assert check_dispatch(aid, dispatch_id) == "moving"      # a second check changes nothing


def test_a_job_a_worker_took_is_left_alone(conn, clinic, standin) -> None:
    from clinic.outcomes import mark_attempt
    from dialer.dispatch import check_dispatch

    async def worker_takes(_dispatch) -> None:
        return None

    standin.standin.dispatch_hook = worker_takes
    aid, dispatch_id = _dispatched(conn, clinic)
    assert check_dispatch(aid, dispatch_id) == "taken"      # starting slowly: not ours to end
    assert _attempt(conn, aid)["outcome"] is None
    mark_attempt(conn, aid, "dialing", now=NOW)
    conn.commit()
    assert check_dispatch(aid, dispatch_id) == "moving"
    assert standin.calls_to("DeleteDispatch") == []


def test_the_worker_checks_each_dispatch_after_the_setting_delay(conn, clinic, standin, celery_workers,
                                                                 monkeypatch) -> None:
    from dialer.dispatch import DROPPED_ERROR
    from dialer.tasks import enqueue_dispatch

    monkeypatch.setenv("DIALER_DISPATCH_CHECK_SECONDS", "1")
    [aid] = _plan(conn, clinic, 1)
    celery_workers(1)
    enqueue_dispatch(aid)
    wait_until(lambda: _attempt(conn, aid)["outcome"] == "lost", 30, "the dropped job's check")
    assert _attempt(conn, aid)["error"] == DROPPED_ERROR


def test_postgres_going_away_mid_dispatch_is_retried_like_a_livekit_outage(monkeypatch) -> None:
    """A Postgres restart during a dispatch is retried (the retry asks LiveKit for an existing dispatch first);
    it used to fail the task and leave the attempt `planned` for the reaper."""
    import psycopg

    from dialer import tasks
    from dialer.dispatch import Outcome

    seen: list[bool] = []

    def flaky(attempt_id: int, pacer: object, *, redelivered: bool = False) -> Outcome:
        seen.append(redelivered)
        if len(seen) == 1:
            raise psycopg.OperationalError("connection failed: server closed the connection unexpectedly")
        return Outcome("skipped")

    monkeypatch.setattr(tasks, "run_dispatch", flaky)
    monkeypatch.setattr(tasks, "_get_pacer", lambda: None)
    assert tasks.dispatch.apply((42,)).get() == "skipped"
    assert seen == [False, True]    # the retry looked for the dispatch it may already have created


def test_the_check_works_when_the_room_started_webhook_marked_the_attempt_first(conn, clinic, standin) -> None:
    """LiveKit's room_started webhook may mark the attempt `dispatched` before the dispatch task does, so the task's
    own mark (with the dispatch id) finds nothing to move and the id stays unset: the check still runs."""
    from dialer.dispatch import check_dispatch

    aid, dispatch_id = _dispatched(conn, clinic)
    conn.execute("UPDATE call_attempts SET dispatch_id = NULL WHERE id = %s", (aid,))
    conn.commit()
    assert check_dispatch(aid, dispatch_id) == "dropped"
