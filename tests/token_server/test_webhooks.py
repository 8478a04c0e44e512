"""LiveKit webhooks: signatures are checked, events move attempts forward, late ones change nothing."""

from __future__ import annotations

import base64
import hashlib
import itertools
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from google.protobuf.json_format import MessageToJson
from livekit import api
from livekit.protocol import models, webhook

from clinic.outcomes import finish_attempt
from clinic.settings import get_settings
from dialer import reaper
from sim.livekit_standin import StandinHandle, start_standin
from tests.token_server.conftest import NOW, SeededClinic, Seeder
from token_server.webhooks import rules

_ids = itertools.count()


@pytest.fixture(autouse=True)
def livekit(server_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinHandle]:
    """room_finished is checked with LiveKit (ListRooms) before it is acted on: a LiveKit with no rooms."""
    handle = start_standin(ring_scale=0)
    monkeypatch.setenv("LIVEKIT_URL", handle.url)
    get_settings.cache_clear()
    yield handle
    handle.stop()


def _event(name: str, room: str, kind: int | None = None, attributes: dict[str, str] | None = None, *,
           created_at: float | None = None, event_id: str | None = None) -> str:
    ev = webhook.WebhookEvent(event=name, room=models.Room(name=room), id=event_id or f"EV_{name}_{room}_{next(_ids)}",
                              created_at=int(time.time() if created_at is None else created_at))
    if kind is not None:
        ev.participant.CopyFrom(models.ParticipantInfo(identity="p", kind=kind, attributes=attributes or {}))
    return MessageToJson(ev)


def _sign(body: str, secret: str | None = None) -> str:
    s = get_settings()
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return api.AccessToken(s.livekit_api_key, secret or s.livekit_api_secret.get_secret_value()) \
        .with_sha256(digest).to_jwt()


def _post(client: TestClient, body: str, auth: str | None) -> Any:
    headers = {"Content-Type": "application/webhook+json"}
    if auth is not None:
        headers["Authorization"] = auth
    return client.post("/api/livekit/webhook", content=body, headers=headers)


def test_rules_are_a_pure_mapping() -> None:
    assert rules.plan("room_started", "call-7") == rules.Action(7, "mark", status="dispatched")
    assert rules.plan("participant_joined", "call-7", rules.KIND_SIP, "dialing").status == "dialing"
    assert rules.plan("participant_joined", "call-7", rules.KIND_SIP, "active").status == "in_call"
    assert rules.plan("participant_joined", "call-7", rules.KIND_STANDARD).status == "in_call"
    assert rules.plan("participant_joined", "call-7", rules.KIND_EGRESS) is None
    assert rules.plan("room_finished", "call-7") == rules.Action(7, "await_outcome")
    assert rules.plan("room_started", "lobby") is None
    assert rules.plan("track_published", "call-7") is None


def test_unsigned_and_tampered_webhooks_are_rejected(client: TestClient, clinic_a: SeededClinic, seed: Seeder,
                                                     conn: Any) -> None:
    attempt = seed.attempt(clinic_a, seed.appointment(clinic_a))
    body = _event("room_finished", f"call-{attempt}")
    assert _post(client, body, None).status_code == 401
    assert _post(client, body, "garbage").status_code == 401
    assert _post(client, body, _sign(body, secret="another-secret-another-secret-00")).status_code == 401
    tampered = body.replace(f"call-{attempt}", "call-999999")
    assert _post(client, tampered, _sign(body)).status_code == 401
    row = conn.execute("SELECT status, outcome FROM call_attempts WHERE id = %s", (attempt,)).fetchone()
    assert row == {"status": "planned", "outcome": None}


def test_events_move_an_attempt_forward_and_a_closed_room_ends_lost_via_the_reaper(
        client: TestClient, clinic_a: SeededClinic, seed: Seeder, conn: Any) -> None:
    attempt = seed.attempt(clinic_a, seed.appointment(clinic_a))
    room = f"call-{attempt}"
    for name, kind, attrs, expected in [
        ("room_started", None, None, "dispatched"),
        ("participant_joined", rules.KIND_SIP, {"sip.callStatus": "dialing"}, "dialing"),
        ("participant_joined", rules.KIND_SIP, {"sip.callStatus": "active"}, "in_call"),
        ("room_started", None, None, "in_call"),  # a duplicate/late earlier event never moves it back
    ]:
        body = _event(name, room, kind, attrs)
        r = _post(client, body, _sign(body))
        assert r.status_code == 200, r.text
        assert conn.execute("SELECT status FROM call_attempts WHERE id = %s", (attempt,)).fetchone()["status"] \
            == expected
        conn.rollback()
    body = _event("room_finished", room)
    assert _post(client, body, _sign(body)).json()["action"].startswith("awaiting outcome until")
    row = conn.execute("SELECT outcome, deadline_at FROM call_attempts WHERE id = %s", (attempt,)).fetchone()
    assert row == {"outcome": None, "deadline_at": NOW + timedelta(minutes=2)}  # default grace: 2 min
    conn.rollback()
    # The agent never writes: the reaper ends it lost once the grace is over, not before.
    assert reaper.reap(conn, NOW + timedelta(minutes=1)) == []
    assert reaper.reap(conn, NOW + timedelta(minutes=2, seconds=1)) == [attempt]
    conn.commit()
    row = conn.execute("SELECT outcome, error FROM call_attempts WHERE id = %s", (attempt,)).fetchone()
    assert row["outcome"] == "lost" and "deadline" in row["error"]


def test_room_finished_before_the_agents_write_keeps_the_real_outcome(
        client: TestClient, clinic_a: SeededClinic, seed: Seeder, conn: Any) -> None:
    """LiveKit's room_finished often lands before the agent's end-of-call write; the real result wins."""
    appt = seed.appointment(clinic_a)
    attempt = seed.attempt(clinic_a, appt)
    body = _event("room_finished", f"call-{attempt}")
    assert _post(client, body, _sign(body)).status_code == 200
    finish_attempt(conn, attempt, "confirmed", now=NOW + timedelta(seconds=5), fields={"summary": "confirmed"})
    conn.commit()
    assert reaper.reap(conn, NOW + timedelta(minutes=10)) == []
    row = conn.execute("SELECT outcome, summary FROM call_attempts WHERE id = %s", (attempt,)).fetchone()
    assert row == {"outcome": "confirmed", "summary": "confirmed"}
    assert conn.execute("SELECT status FROM appointments WHERE id = %s", (appt,)).fetchone()["status"] == "confirmed"


def test_a_late_webhook_never_overwrites_a_final_outcome(client: TestClient, clinic_a: SeededClinic, seed: Seeder,
                                                         conn: Any) -> None:
    appt = seed.appointment(clinic_a)
    attempt = seed.attempt(clinic_a, appt)
    finish_attempt(conn, attempt, "confirmed", now=NOW, fields={"summary": "confirmed by the patient"})
    conn.commit()
    for name, kind in [("participant_joined", rules.KIND_SIP), ("room_started", None), ("room_finished", None)]:
        body = _event(name, f"call-{attempt}", kind, {"sip.callStatus": "active"})
        r = _post(client, body, _sign(body))
        assert r.status_code == 200
        assert r.json()["action"].startswith("unchanged")
    row = conn.execute("SELECT status, outcome, summary FROM call_attempts WHERE id = %s", (attempt,)).fetchone()
    assert row == {"status": "ended", "outcome": "confirmed", "summary": "confirmed by the patient"}
    assert conn.execute("SELECT status FROM appointments WHERE id = %s", (appt,)).fetchone()["status"] == "confirmed"


def test_events_for_other_rooms_are_ignored(client: TestClient, clinic_a: SeededClinic) -> None:
    for room in ("lobby", "call-424242"):
        body = _event("room_finished", room)
        r = _post(client, body, _sign(body))
        assert r.status_code == 200 and r.json()["action"] in ("ignored", "unknown attempt")


def test_a_replayed_webhook_is_refused_and_changes_nothing(client: TestClient, clinic_a: SeededClinic, seed: Seeder,
                                                           conn: Any) -> None:
    """Issue 14 item 7: the same signed webhook delivered twice is applied once."""
    attempt = seed.attempt(clinic_a, seed.appointment(clinic_a))
    body = _event("room_started", f"call-{attempt}", event_id="EV_once")
    assert _post(client, body, _sign(body)).status_code == 200
    conn.execute("UPDATE call_attempts SET status = 'planned' WHERE id = %s", (attempt,))
    conn.commit()
    r = _post(client, body, _sign(body))
    assert r.status_code == 409 and "replay" in r.text
    assert conn.execute("SELECT status FROM call_attempts WHERE id = %s", (attempt,)).fetchone()["status"] == "planned"


def test_an_old_webhook_is_refused(client: TestClient, clinic_a: SeededClinic, seed: Seeder, conn: Any) -> None:
    attempt = seed.attempt(clinic_a, seed.appointment(clinic_a))
    for created in (time.time() - 3600, time.time() + 3600, 0):
        body = _event("room_finished", f"call-{attempt}", created_at=created)
        r = _post(client, body, _sign(body))
        assert r.status_code == 400 and "created_at" in r.text
    assert conn.execute("SELECT deadline_at FROM call_attempts WHERE id = %s", (attempt,)).fetchone()["deadline_at"] \
        is None


def test_room_finished_for_a_room_still_open_cannot_get_a_live_call_reaped(
        client: TestClient, clinic_a: SeededClinic, seed: Seeder, conn: Any, livekit: StandinHandle) -> None:
    """A forged (or early) room_finished for a call that is still up: LiveKit still has the room, so the
    attempt keeps its in-call deadline and the reaper does not end it (nor redial the patient)."""
    appt = seed.appointment(clinic_a)
    attempt = seed.attempt(clinic_a, appt)
    conn.execute("UPDATE call_attempts SET status = 'in_call', answered_at = %s WHERE id = %s",
                 (NOW - timedelta(minutes=1), attempt))
    conn.commit()
    livekit.standin._ensure_room(f"call-{attempt}")  # the call's room is open on the server
    body = _event("room_finished", f"call-{attempt}")
    r = _post(client, body, _sign(body))
    assert r.status_code == 200 and "still open" in r.json()["action"]
    assert reaper.reap(conn, NOW + timedelta(minutes=3)) == []
    row = conn.execute("SELECT outcome, deadline_at FROM call_attempts WHERE id = %s", (attempt,)).fetchone()
    assert row == {"outcome": None, "deadline_at": None}


def test_production_refuses_published_livekit_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from clinic.settings import InsecureSettings, check_production_secrets
    from token_server.app import create_app

    monkeypatch.setenv("APP_ENV", "production")
    for secret in ("devsecret-devsecret-devsecret-0000", "secret", "short"):
        monkeypatch.setenv("LIVEKIT_API_KEY", "APIrealkey123")
        monkeypatch.setenv("LIVEKIT_API_SECRET", secret)
        get_settings.cache_clear()
        with pytest.raises(InsecureSettings, match="LIVEKIT_API_SECRET"):
            create_app()
    monkeypatch.delenv("LIVEKIT_API_SECRET")
    get_settings.cache_clear()
    with pytest.raises(InsecureSettings):  # unset: the built-in default is the published one
        check_production_secrets(get_settings())
    monkeypatch.setenv("LIVEKIT_API_SECRET", "a-real-secret-of-enough-length-0123456789")
    get_settings.cache_clear()
    check_production_secrets(get_settings())
    create_app()
    get_settings.cache_clear()
