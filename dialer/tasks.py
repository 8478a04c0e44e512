"""Celery tasks: thin wrappers that pick the clock, open a connection, call the module, commit."""

from __future__ import annotations

from typing import Any

import psycopg
import redis

from clinic.clock import get_clock
from clinic.db import connection
from clinic.settings import get_settings
from dialer import batches, planner, reaper
from dialer.celery_app import app
from dialer.dispatch import TransientDispatchError, backoff_seconds, check_dispatch, fail_attempt, run_dispatch
from dialer.pacing import TrunkPacer

_pacer: TrunkPacer | None = None


def _get_pacer() -> TrunkPacer:
    global _pacer
    if _pacer is None:
        s = get_settings()
        _pacer = TrunkPacer(redis.Redis.from_url(s.redis_url), s.dialer_pacing_prefix)
    return _pacer


def enqueue_dispatch(attempt_id: int) -> None:
    dispatch.apply_async((attempt_id,), queue=get_settings().dialer_queue)


@app.task(name="dialer.tasks.plan_tick")
def plan_tick() -> dict[str, Any]:
    results = planner.tick(get_clock().now(), enqueue_dispatch)
    return {"planned": sum(len(r.dial) for r in results)}


@app.task(name="dialer.tasks.reap")
def reap() -> list[int]:
    with connection() as conn:
        ids = reaper.reap(conn, get_clock().now())
        conn.commit()
        if not get_settings().dialer_clinics:  # the webhook replay log is global: a scoped (sim) run leaves it
            # Ids older than a day can go: a webhook that old is refused by its created_at anyway.
            conn.execute("DELETE FROM livekit_webhooks WHERE received_at < now() - interval '1 day'")
            conn.commit()
    return ids


@app.task(name="dialer.tasks.build_batches")
def build_batches() -> int:
    with connection() as conn:
        built = batches.build_due(conn, get_clock().now())
        conn.commit()
    return len(built)


@app.task(name="dialer.tasks.dispatch", bind=True, acks_late=True)
def dispatch(self: Any, attempt_id: int) -> str:
    redelivered = bool(self.request.retries) or bool((self.request.delivery_info or {}).get("redelivered"))
    try:
        outcome = run_dispatch(attempt_id, _get_pacer(), redelivered=redelivered)
    except (TransientDispatchError, psycopg.OperationalError) as exc:
        # Postgres restarting is as passing as a LiveKit 503: retry (a retry first asks LiveKit whether the room
        # already has our dispatch, so a dispatch created just before the database went away is not sent twice).
        # Left to fail, the attempt waited `planned` for the reaper (10 min) and was redialed later still.
        if self.request.retries >= get_settings().dialer_dispatch_max_retries:
            what = "Postgres" if isinstance(exc, psycopg.OperationalError) else "LiveKit"
            fail_attempt(attempt_id, f"{what} unavailable after {self.request.retries} retries: {exc}"[:500])
            return "failed"
        raise self.retry(countdown=backoff_seconds(self.request.retries), exc=exc,
                         max_retries=get_settings().dialer_dispatch_max_retries + 1) from exc
    wait = get_settings().dialer_dispatch_check_seconds
    if outcome.status == "dispatched" and outcome.dispatch_id and wait > 0:
        dispatch_taken.apply_async((attempt_id, outcome.dispatch_id), countdown=wait,
                                   queue=get_settings().dialer_queue)
    if outcome.status == "deferred":
        # The trunk is booked further ahead than a worker should sleep: come back later (not a retry).
        dispatch.apply_async((attempt_id,), countdown=outcome.defer_seconds, queue=get_settings().dialer_queue)
    return outcome.status


@app.task(name="dialer.tasks.dispatch_taken")
def dispatch_taken(attempt_id: int, dispatch_id: str) -> str:
    """Did an agent worker take the dispatched job? A dropped one ends `lost` now, not at the reaper's pass."""
    return check_dispatch(attempt_id, dispatch_id)
