"""Hand one planned attempt to LiveKit: CreateDispatch(agent_name, room="call-<id>", metadata={"attempt_id"}).

No PHI leaves in the metadata: the agent reads everything else from Postgres by attempt id.
Transient LiveKit errors (5xx, unavailable, timeouts, connection errors) are retried with backoff by
the task; permanent ones (bad credentials, missing grant, invalid request) fail the attempt at once,
because retrying them would only repeat the same refusal. A redelivered task first asks LiveKit
whether the room already has our dispatch, so a worker crash never sends the agent twice.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import json
import os
from dataclasses import dataclass

import aiohttp
from livekit import api
from livekit.api.twirp_client import ServerError
from psycopg.rows import tuple_row

from clinic.clock import get_clock
from clinic.db import connection
from clinic.logs import get_logger
from clinic.outcomes import end_undialed_on_dnc, finish_attempt, mark_attempt
from clinic.settings import get_settings
from dialer.calling_window import ClinicWindow, why_not_callable
from dialer.pacing import TrunkPacer
from dialer.patient_state import state_for_phone

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


class LiveKitSession:
    """One event loop and one `LiveKitAPI` (one aiohttp session, so HTTP keep-alive) per worker process.

    A dispatch is a single small request; opening a loop, a session and a TCP connection for each one
    cost more CPU than the request itself. Keyed by process id (a forked prefork child builds its own)
    and by the LiveKit URL and credentials (a settings change builds a new one).
    """

    def __init__(self) -> None:
        self._owner: tuple[int, str, str, str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lk: api.LiveKitAPI | None = None

    def _get(self) -> tuple[asyncio.AbstractEventLoop, api.LiveKitAPI]:
        s = get_settings()
        secret = s.livekit_api_secret.get_secret_value()
        owner = (os.getpid(), s.livekit_url, s.livekit_api_key, hashlib.sha256(secret.encode()).hexdigest())
        if owner != self._owner or self._loop is None or self._lk is None:
            if self._owner is not None and self._owner[0] == owner[0]:
                self.close()
            loop = asyncio.new_event_loop()

            async def make() -> api.LiveKitAPI:
                return api.LiveKitAPI(s.livekit_url, s.livekit_api_key, secret,
                                      timeout=aiohttp.ClientTimeout(total=10))

            self._loop, self._lk, self._owner = loop, loop.run_until_complete(make()), owner
        return self._loop, self._lk

    def create_dispatch(self, room: str, metadata: str, *, check_existing: bool) -> str:
        loop, lk = self._get()
        return loop.run_until_complete(create_dispatch(lk, room, metadata, check_existing=check_existing))

    def dispatch_jobs(self, room: str, dispatch_id: str) -> int | None:
        loop, lk = self._get()
        return loop.run_until_complete(dispatch_jobs(lk, room, dispatch_id))

    def delete_dispatch(self, room: str, dispatch_id: str) -> None:
        loop, lk = self._get()
        loop.run_until_complete(lk.agent_dispatch.delete_dispatch(dispatch_id, room))

    def close(self) -> None:
        if self._owner is not None and self._owner[0] != os.getpid():
            self._loop, self._lk, self._owner = None, None, None  # a fork's copy: the parent owns it
            return
        if self._loop is not None and not self._loop.is_closed():
            if self._lk is not None:
                self._loop.run_until_complete(self._lk.aclose())
            self._loop.close()
        self._loop, self._lk, self._owner = None, None, None


_session = LiveKitSession()
atexit.register(_session.close)  # close the HTTP session cleanly (no "unclosed session" warnings at exit)


async def create_dispatch(lk: api.LiveKitAPI, room: str, metadata: str, *, check_existing: bool) -> str:
    agent_name = get_settings().agent_name
    try:
        if check_existing:
            for d in await _room_dispatches(lk, room) or []:
                if d.agent_name == agent_name and d.metadata == metadata:
                    return d.id
        d = await lk.agent_dispatch.create_dispatch(api.CreateAgentDispatchRequest(
            agent_name=agent_name, room=room, metadata=metadata))
        return d.id
    except (TimeoutError, ServerError, aiohttp.ClientError, ConnectionError) as exc:
        raise classify(exc)(f"{type(exc).__name__}: {exc}") from exc


async def _room_dispatches(lk: api.LiveKitAPI, room: str) -> list[api.AgentDispatch] | None:
    """The room's dispatches; None when there is no such room. A dispatch lives in its room: asked about a room
    that does not exist, the real LiveKit server answers ListDispatch with 503 "no response from servers", which
    would read as an outage and fail the attempt after the retries (found by the container crash test)."""
    if not (await lk.room.list_rooms(api.ListRoomsRequest(names=[room]))).rooms:
        return None
    return list(await lk.agent_dispatch.list_dispatch(room))


async def dispatch_jobs(lk: api.LiveKitAPI, room: str, dispatch_id: str) -> int | None:
    """How many jobs LiveKit started for our dispatch (a worker accepted it); None when the room or the dispatch
    is gone (the call already ran and ended)."""
    try:
        for d in await _room_dispatches(lk, room) or []:
            if d.id == dispatch_id:
                return len(d.state.jobs)
        return None
    except (TimeoutError, ServerError, aiohttp.ClientError, ConnectionError) as exc:
        raise classify(exc)(f"{type(exc).__name__}: {exc}") from exc


DROPPED_ERROR = ("no agent worker took the call: LiveKit drops a job that no worker has capacity for (workers all"
                 " busy, draining or down); add agent workers or raise AGENT_MAX_JOBS")


def check_dispatch(attempt_id: int, dispatch_id: str) -> str:
    """Some seconds after CreateDispatch: did a worker take the job? Returns moving | taken | unknown | dropped.

    The open-source server offers a dispatch's job to the workers once; when none accepts, the job is dropped
    and the attempt would wait `dispatched` for the reaper. A dispatch with no job by now was dropped: it is
    deleted and the attempt ends `lost` (the retry policy calls again later). Never a second dial: the attempt
    has not been dialed (an agent marks it `dialing` first), and a job that started anyway would find it ended."""
    with connection() as conn:
        row = conn.execute("SELECT status, outcome, room_name, dispatch_id FROM call_attempts WHERE id = %s",
                           (attempt_id,)).fetchone()
    # dispatch_id is unset only in the moment between room_started (or `dialing`) and the dispatch task's write.
    if row is None or row["outcome"] is not None or row["status"] != "dispatched" \
            or row["dispatch_id"] not in (None, dispatch_id):
        return "moving"
    room = row["room_name"] or f"call-{attempt_id}"
    try:
        jobs = _session.dispatch_jobs(room, dispatch_id)
    except (TransientDispatchError, PermanentDispatchError) as exc:
        log.warning("dispatch check failed; the reaper has the attempt", attempt_id=attempt_id, error=str(exc)[:200])
        return "unknown"
    if jobs is None:
        return "unknown"   # room or dispatch gone while still `dispatched`: not ours to guess; the reaper's
    if jobs:
        return "taken"
    with contextlib.suppress(Exception):  # best effort: the server does not offer it again anyway
        _session.delete_dispatch(room, dispatch_id)
    with connection() as conn:
        ended = finish_attempt(conn, attempt_id, "lost", now=get_clock().now(), fields={"error": DROPPED_ERROR})
        conn.commit()
    if ended.outcome != "lost" or ended.error != DROPPED_ERROR:
        return "moving"   # the call ended on its own meanwhile: first writer wins
    log.warning("dispatch dropped: no agent worker took the job", attempt_id=attempt_id, dispatch_id=dispatch_id)
    return "dropped"


_LOAD = """
SELECT ca.id, ca.outcome, ca.status, ca.room_name, ca.appointment_id,
       coalesce(a.timezone, p.timezone) AS patient_tz, ca.phone,
       (SELECT b.paused_at FROM batches b WHERE b.clinic_id = ca.clinic_id
          AND b.batch_date = (%(now)s::timestamptz AT TIME ZONE c.timezone)::date) AS batch_paused_at,
       EXISTS (SELECT 1 FROM dnc d WHERE d.phone = ca.phone
               AND (d.clinic_id = ca.clinic_id OR d.clinic_id IS NULL)) AS on_dnc,
       c.*
FROM call_attempts ca
JOIN clinics c ON c.id = ca.clinic_id
JOIN appointments a ON a.id = ca.appointment_id
JOIN patients p ON p.id = a.patient_id
WHERE ca.id = %(attempt)s
"""


def run_dispatch(attempt_id: int, pacer: TrunkPacer, *, redelivered: bool = False) -> Outcome:
    """Dispatch one attempt if it is still planned. Raises TransientDispatchError for the task to retry."""
    clock = get_clock()
    with connection() as conn:
        # One query: the attempt's state, its clinic's rules and the patient's zone.
        cur = conn.cursor(row_factory=tuple_row)
        now = clock.now()
        row = cur.execute(_LOAD, {"attempt": attempt_id, "now": now}).fetchone()
        if row is None:
            return Outcome("skipped")
        names = [d.name for d in cur.description or ()]
        attempt = dict(zip(names[:9], row[:9], strict=True))
        clinic = dict(zip(names[9:], row[9:], strict=True))
        if attempt["outcome"] is not None or attempt["status"] != "planned":
            return Outcome("skipped")
        if attempt["on_dnc"]:
            end_undialed_on_dnc(conn, attempt_id, now=now, error=DNC_ERROR, actor="dialer")
            log.info("attempt dropped: number on DNC list", attempt_id=attempt_id)
            conn.commit()
            return Outcome("lost")
        if clinic["paused_at"] is not None:
            why: str | None = "clinic paused"
        elif attempt["batch_paused_at"] is not None:
            why = "batch paused"
        else:
            why = why_not_callable(ClinicWindow.from_clinic_row(clinic), attempt["patient_tz"], now,
                                   state_for_phone(attempt["phone"]), attempt["phone"])
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
        dispatch_id = _session.create_dispatch(attempt["room_name"] or f"call-{attempt_id}", metadata,
                                               check_existing=redelivered)
    except PermanentDispatchError as exc:
        fail_attempt(attempt_id, str(exc))
        return Outcome("failed")
    with connection() as conn:
        mark_attempt(conn, attempt_id, "dispatched", now=clock.now(), dispatch_id=dispatch_id)
        conn.commit()
    log.info("attempt dispatched", attempt_id=attempt_id, dispatch_id=dispatch_id)
    return Outcome("dispatched", dispatch_id)


DNC_ERROR = "not dispatched: number added to the do-not-call list after planning"


def fail_attempt(attempt_id: int, error: str) -> None:
    with connection() as conn:
        finish_attempt(conn, attempt_id, "failed", now=get_clock().now(), fields={"error": error[:500]})
        conn.commit()
    log.warning("dispatch failed permanently", attempt_id=attempt_id)
