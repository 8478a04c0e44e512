"""Test calls run against a *copy* of an appointment flagged `is_test`, so staff can practise on a real
booking without confirming, cancelling or consuming attempts of the real one, and the planner never dials
the copy. LiveKit only ever sees ids (room `call-<attempt id>`, metadata {"attempt_id", "mode"})."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from livekit import api

from clinic.settings import Settings
from token_server.test_calls.models import TestAppointmentIn

# Fictional-range number for browser test calls: nobody is dialed in web mode.
WEB_TEST_PHONE = "+12025550123"
ABANDONED_ERROR = "browser test call abandoned: the page could not reach LiveKit or the agent never joined"


class SourceNotFound(LookupError):
    pass


def default_start(now: datetime, tz_name: str) -> datetime:
    """Tomorrow 10:00 in the clinic's time zone: a plausible appointment to talk about."""
    tz = ZoneInfo(tz_name)
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(10, 0), tz)


def _patient(conn: psycopg.Connection[Any], clinic_id: int, name: str, phone: str) -> int:
    row = conn.execute(
        "INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, %s, %s)"
        " ON CONFLICT (clinic_id, phone, lower(full_name)) DO UPDATE SET updated_at = now() RETURNING id",
        (clinic_id, name, phone)).fetchone()
    assert row is not None
    return int(row["id"])


def create_test_appointment(conn: psycopg.Connection[Any], clinic: dict[str, Any], *, now: datetime,
                            source_id: int | None, made_up: TestAppointmentIn | None, phone: str) -> int:
    """Copy appointment `source_id` (of this clinic only) or create a made-up one; returns the copy's id."""
    external_id = f"test-{secrets.token_hex(6)}"
    if source_id is not None:
        src = conn.execute(
            "SELECT a.*, p.full_name FROM appointments a JOIN patients p ON p.id = a.patient_id"
            " WHERE a.id = %s AND a.clinic_id = %s", (source_id, clinic["id"])).fetchone()
        if src is None:
            raise SourceNotFound(source_id)
        patient_id = _patient(conn, clinic["id"], src["full_name"], phone)
        values = (src["starts_at"], src["duration_minutes"], src["provider"], src["location"], src["timezone"])
    else:
        made_up = made_up or TestAppointmentIn()
        patient_id = _patient(conn, clinic["id"], made_up.patient_name, phone)
        values = (made_up.starts_at or default_start(now, clinic["timezone"]), made_up.duration_minutes,
                  made_up.provider, made_up.location, None)
    row = conn.execute(
        "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, duration_minutes, provider,"
        " location, timezone, notes, is_test) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, true) RETURNING id",
        (clinic["id"], external_id, patient_id, *values, "test call")).fetchone()
    assert row is not None
    return int(row["id"])


def create_attempt(conn: psycopg.Connection[Any], clinic: dict[str, Any], appointment_id: int, phone: str, *,
                   mode: str, now: datetime, deadline: datetime) -> dict[str, Any]:
    """The attempt row the agent loads; its room is `call-<id>` like every dialer call."""
    row = conn.execute(
        "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, mode, planned_at, deadline_at)"
        " VALUES (%s, %s, 1, %s, %s, %s, %s) RETURNING id", (clinic["id"], appointment_id, phone, mode, now, deadline)
    ).fetchone()
    assert row is not None
    room = f"call-{row['id']}"
    attempt = conn.execute("UPDATE call_attempts SET room_name = %s WHERE id = %s RETURNING *",
                           (room, row["id"])).fetchone()
    assert attempt is not None
    return attempt


def discard(conn: psycopg.Connection[Any], attempt_id: int, appointment_id: int) -> None:
    """Undo a test call that never started (LiveKit refused it): nothing happened, so nothing is kept."""
    conn.execute("DELETE FROM call_attempts WHERE id = %s AND outcome IS NULL", (attempt_id,))
    conn.execute("DELETE FROM appointments WHERE id = %s AND is_test", (appointment_id,))


def dispatch_metadata(attempt_id: int, mode: str) -> str:
    """The only thing LiveKit learns about a call: ids, never names or numbers."""
    return json.dumps({"attempt_id": attempt_id, "mode": mode})


def browser_url(settings: Settings) -> str:
    url = settings.livekit_public_url or settings.livekit_url
    if url.startswith("http://"):
        return "ws://" + url[len("http://"):]
    if url.startswith("https://"):
        return "wss://" + url[len("https://"):]
    return url


def web_token(settings: Settings, *, room: str, identity: str, attempt_id: int, ttl: timedelta) -> str:
    """A join token whose RoomConfiguration dispatches the agent in web mode when the browser joins."""
    config = api.RoomConfiguration(
        name=room,
        empty_timeout=60,
        departure_timeout=20,
        max_participants=3,
        agents=[api.RoomAgentDispatch(agent_name=settings.agent_name,
                                      metadata=dispatch_metadata(attempt_id, "web"))],
    )
    grants = api.VideoGrants(room_join=True, room=room, can_publish=True, can_subscribe=True,
                             can_publish_data=True)
    return (api.AccessToken(settings.livekit_api_key, settings.livekit_api_secret.get_secret_value())
            .with_identity(identity).with_name("Clinic staff (test call)").with_grants(grants)
            .with_room_config(config).with_ttl(ttl).to_jwt())


async def dispatch_phone_call(settings: Settings, *, room: str, attempt_id: int, timeout_seconds: float = 5) -> str:
    """Ask LiveKit to start the agent in `room`; the agent dials the number itself (sip mode)."""
    import aiohttp

    lk = api.LiveKitAPI(settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret.get_secret_value(),
                        timeout=aiohttp.ClientTimeout(total=timeout_seconds))
    try:
        dispatch = await lk.agent_dispatch.create_dispatch(api.CreateAgentDispatchRequest(
            agent_name=settings.agent_name, room=room, metadata=dispatch_metadata(attempt_id, "sip")))
    finally:
        await lk.aclose()
    return dispatch.id
