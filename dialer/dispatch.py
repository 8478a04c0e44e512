"""Hand one planned attempt to LiveKit: CreateDispatch(agent_name, room="call-<id>", metadata={"attempt_id"}).

No PHI leaves in the metadata: the agent reads everything else from Postgres by attempt id.
Transient LiveKit errors (5xx, unavailable, timeouts, connection errors) are retried with backoff by
the task; permanent ones (bad credentials, missing grant, invalid request) fail the attempt at once,
because retrying them would only repeat the same refusal. A redelivered task first asks LiveKit
whether the room already has our dispatch, so a worker crash never sends the agent twice.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from livekit import api
from livekit.api.twirp_client import ServerError

from clinic.clock import get_clock
from clinic.db import connection
from clinic.logs import get_logger
from clinic.outcomes import finish_attempt, mark_attempt
from clinic.settings import get_settings
from dialer.calling_window import ClinicWindow, why_not_callable
from dialer.pacing import TrunkPacer

log = get_logger("dialer.dispatch")

TRANSIENT_CODES = frozenset({"unavailable", "deadline_exceeded", "resource_exhausted", "internal", "unknown",
                             "aborted", "canceled", "dataloss"})


class TransientDispatchError(Exception):
    pass


class PermanentDispatchError(Exception):
    pass


@dataclass(frozen=True)
class Outcome:
    status: str          # dispatched | skipped | failed | lost | deferred
    dispatch_id: str | None = None
    defer_seconds: float = 0.0


def classify(exc: BaseException) -> type[Exception]:
    if isinstance(exc, ServerError):
        return TransientDispatchError if exc.status >= 500 or exc.code in TRANSIENT_CODES else PermanentDispatchError
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError):
        return TransientDispatchError
    return PermanentDispatchError


def backoff_seconds(retries: int) -> float:
    return min(60.0, 2.0 * 2 ** retries)


async def create_dispatch(room: str, metadata: str, *, check_existing: bool) -> str:
    s = get_settings()
    try:
        async with api.LiveKitAPI(s.livekit_url, s.livekit_api_key, s.livekit_api_secret.get_secret_value(),
                                  timeout=aiohttp.ClientTimeout(total=10)) as lk:
            if check_existing:
                for d in await lk.agent_dispatch.list_dispatch(room):
                    if d.agent_name == s.agent_name and d.metadata == metadata:
                        return d.id
            d = await lk.agent_dispatch.create_dispatch(api.CreateAgentDispatchRequest(
                agent_name=s.agent_name, room=room, metadata=metadata))
            return d.id
    except (TimeoutError, ServerError, aiohttp.ClientError, ConnectionError) as exc:
        raise classify(exc)(f"{type(exc).__name__}: {exc}") from exc


def _load(conn: Any, attempt_id: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    attempt = conn.execute("SELECT * FROM call_attempts WHERE id = %s", (attempt_id,)).fetchone()
    if attempt is None:
        return None, None
    clinic = conn.execute("SELECT * FROM clinics WHERE id = %s", (attempt["clinic_id"],)).fetchone()
    return attempt, clinic


def run_dispatch(attempt_id: int, pacer: TrunkPacer, *, redelivered: bool = False) -> Outcome:
    """Dispatch one attempt if it is still planned. Raises TransientDispatchError for the task to retry."""
    clock = get_clock()
    with connection() as conn:
        attempt, clinic = _load(conn, attempt_id)
        if attempt is None or clinic is None or attempt["outcome"] is not None or attempt["status"] != "planned":
            return Outcome("skipped")
        tz = conn.execute("SELECT coalesce(a.timezone, p.timezone) AS tz FROM appointments a"
                          " JOIN patients p ON p.id = a.patient_id WHERE a.id = %s",
                          (attempt["appointment_id"],)).fetchone()
        now = clock.now()
        why = "clinic paused" if clinic["paused_at"] is not None else why_not_callable(
            ClinicWindow.from_clinic_row(clinic), tz["tz"] if tz else None, now)
        if why:
            # Too late to call now (paused, or the window closed while queued): give the slot back.
            finish_attempt(conn, attempt_id, "lost", now=now, fields={"error": f"not dispatched: {why}"})
            conn.commit()
            return Outcome("lost")
    reservation = pacer.acquire(clinic["sip_trunk_id"] or "default", float(clinic["calls_per_second"]))
    if not reservation.granted:
        return Outcome("deferred", defer_seconds=max(0.5, reservation.wait_seconds - 5.0))
    metadata = json.dumps({"attempt_id": attempt_id})
    try:
        dispatch_id = asyncio.run(create_dispatch(attempt["room_name"] or f"call-{attempt_id}", metadata,
                                                  check_existing=redelivered))
    except PermanentDispatchError as exc:
        fail_attempt(attempt_id, str(exc))
        return Outcome("failed")
    with connection() as conn:
        mark_attempt(conn, attempt_id, "dispatched", now=clock.now(), dispatch_id=dispatch_id)
        conn.commit()
    log.info("attempt dispatched", attempt_id=attempt_id, dispatch_id=dispatch_id)
    return Outcome("dispatched", dispatch_id)


def fail_attempt(attempt_id: int, error: str) -> None:
    with connection() as conn:
        finish_attempt(conn, attempt_id, "failed", now=get_clock().now(), fields={"error": error[:500]})
        conn.commit()
    log.warning("dispatch failed permanently", attempt_id=attempt_id)
