"""Browser and phone test calls: tokens that dispatch the agent with ids only, the allow-list, rate limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from livekit import api

from clinic.settings import get_settings
from sim.livekit_standin import start_standin
from tests.token_server.conftest import SeededClinic, Seeder


def test_web_token_dispatches_the_agent_with_ids_only(client: TestClient, clinic_a: SeededClinic, seed: Seeder,
                                                     conn: Any) -> None:
    real = seed.appointment(clinic_a, name="Maria Lopez")
    r = client.post("/api/test-calls/web", headers=clinic_a.headers, json={"appointment_id": real})
    assert r.status_code == 201, r.text
    out = r.json()
    s = get_settings()
    claims = api.TokenVerifier(s.livekit_api_key, s.livekit_api_secret.get_secret_value()).verify(out["token"])
    assert claims.video.room == out["room_name"] == f"call-{out['attempt_id']}"
    assert claims.video.room_join and claims.video.can_publish and claims.video.can_publish_data
    agents = claims.room_config.agents
    assert [a.agent_name for a in agents] == [s.agent_name]
    assert json.loads(agents[0].metadata) == {"attempt_id": out["attempt_id"], "mode": "web"}
    assert "Maria" not in out["token"] and "Maria" not in agents[0].metadata
    assert out["livekit_url"].startswith("ws://")
    # the agent works on a test copy; the real appointment is untouched
    copy = conn.execute("SELECT * FROM appointments WHERE id = %s", (out["appointment_id"],)).fetchone()
    assert copy["is_test"] and copy["id"] != real
    attempt = conn.execute("SELECT mode, status, deadline_at FROM call_attempts WHERE id = %s",
                           (out["attempt_id"],)).fetchone()
    assert attempt["mode"] == "web" and attempt["status"] == "planned" and attempt["deadline_at"] is not None
    n = conn.execute("SELECT count(*) AS n FROM call_attempts WHERE appointment_id = %s", (real,)).fetchone()["n"]
    assert n == 0
    # test copies stay out of the clinic's lists
    ids = [a["id"] for a in client.get("/api/appointments", headers=clinic_a.headers).json()["items"]]
    assert ids == [real]


def test_token_ttl_comes_from_settings(client: TestClient, clinic_a: SeededClinic, monkeypatch: Any) -> None:
    monkeypatch.setenv("TEST_CALL_TOKEN_TTL_SECONDS", "120")
    get_settings.cache_clear()
    out = client.post("/api/test-calls/web", headers=clinic_a.headers, json={}).json()
    s = get_settings()
    token = api.TokenVerifier(s.livekit_api_key, s.livekit_api_secret.get_secret_value())
    claims = token.verify(out["token"])
    assert claims.identity == out["identity"]
    import jwt

    payload = jwt.decode(out["token"], options={"verify_signature": False})
    assert payload["exp"] - payload["nbf"] == 120


def test_test_calls_are_rate_limited(client: TestClient, clinic_a: SeededClinic, clinic_b: SeededClinic,
                                     monkeypatch: Any) -> None:
    monkeypatch.setenv("TEST_CALLS_PER_MINUTE", "2")
    get_settings.cache_clear()
    codes = [client.post("/api/test-calls/web", headers=clinic_a.headers, json={}).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    r = client.post("/api/test-calls/phone", headers=clinic_a.headers, json={"phone": "+12125550199"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    # another clinic has its own budget
    assert client.post("/api/test-calls/web", headers=clinic_b.headers, json={}).status_code == 201


def test_phone_test_calls_only_to_the_allow_list(client: TestClient, clinic_a: SeededClinic, conn: Any) -> None:
    r = client.post("/api/test-calls/phone", headers=clinic_a.headers, json={"phone": "+1 (212) 555-0100"})
    assert r.status_code == 403 and "allow-list" in r.json()["detail"]
    assert "5550100" not in r.text
    assert conn.execute("SELECT count(*) AS n FROM call_attempts").fetchone()["n"] == 0


def test_phone_test_call_when_livekit_is_down_dials_nothing(client: TestClient, clinic_a: SeededClinic,
                                                            conn: Any) -> None:
    r = client.post("/api/test-calls/phone", headers=clinic_a.headers, json={"phone": "(212) 555-0199"})
    assert r.status_code == 503 and "cannot reach LiveKit" in r.json()["detail"]
    assert conn.execute("SELECT count(*) AS n FROM call_attempts").fetchone()["n"] == 0
    assert conn.execute("SELECT count(*) AS n FROM appointments WHERE is_test").fetchone()["n"] == 0


@pytest.fixture
def standin(server_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    handle = start_standin(port=0)
    monkeypatch.setenv("LIVEKIT_URL", handle.url)
    get_settings.cache_clear()
    yield handle
    handle.stop()


def test_phone_test_call_dispatches_the_agent(standin: Any, client: TestClient, clinic_a: SeededClinic,
                                              conn: Any) -> None:
    r = client.post("/api/test-calls/phone", headers=clinic_a.headers, json={"phone": "+12125550199"})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["phone_masked"] != "+12125550199" and out["dispatch_id"]
    row = conn.execute("SELECT status, mode, dispatch_id, phone FROM call_attempts WHERE id = %s",
                       (out["attempt_id"],)).fetchone()
    assert row == {"status": "dispatched", "mode": "sip", "dispatch_id": out["dispatch_id"], "phone": "+12125550199"}


def test_an_abandoned_browser_call_ends_failed_once(client: TestClient, clinic_a: SeededClinic,
                                                    clinic_b: SeededClinic, conn: Any) -> None:
    """The page gives up (LiveKit or the agent never answered): the attempt ends `failed` with the reason;
    another clinic cannot touch it, and a call the agent already finished keeps its outcome."""
    out = client.post("/api/test-calls/web", headers=clinic_a.headers, json={}).json()
    url = f"/api/test-calls/web/{out['attempt_id']}/abandon"
    assert client.post(url, headers=clinic_b.headers).status_code == 404
    r = client.post(url, headers=clinic_a.headers)
    assert r.status_code == 200 and r.json()["outcome"] == "failed"
    row = conn.execute("SELECT outcome, error FROM call_attempts WHERE id = %s", (out["attempt_id"],)).fetchone()
    assert row["outcome"] == "failed" and "abandoned" in row["error"]

    done = client.post("/api/test-calls/web", headers=clinic_a.headers, json={}).json()
    conn.execute("UPDATE call_attempts SET outcome = 'confirmed', status = 'ended' WHERE id = %s",
                 (done["attempt_id"],))
    conn.commit()
    r = client.post(f"/api/test-calls/web/{done['attempt_id']}/abandon", headers=clinic_a.headers)
    assert r.json()["outcome"] == "confirmed"
