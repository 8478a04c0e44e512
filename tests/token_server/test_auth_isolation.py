"""Auth and clinic isolation: every endpoint needs a key, and another clinic's objects are 404s."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from clinic import clinics
from tests.token_server.conftest import OPERATOR_KEY, SeededClinic, Seeder

CSV = b"external_id,patient_name,phone,appointment_start\nA1,Ann Smith,212-555-0142,2026-03-12T10:00:00-04:00\n"

PROTECTED = [
    ("GET", "/api/me"), ("GET", "/api/call-lists"), ("GET", "/api/call-lists/1"),
    ("GET", "/api/call-lists/1/errors.csv"), ("POST", "/api/call-lists"), ("GET", "/api/batches"),
    ("GET", "/api/batches/1"), ("POST", "/api/batches/1/pause"), ("POST", "/api/batches/1/resume"),
    ("GET", "/api/appointments"), ("GET", "/api/appointments/1"), ("GET", "/api/calls"), ("GET", "/api/calls/1"),
    ("GET", "/api/stats"), ("POST", "/api/test-calls/web"), ("POST", "/api/test-calls/phone"),
    ("GET", "/api/clinics"), ("GET", "/metrics"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_api_endpoint_needs_a_key(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.request(method, path, headers={"Authorization": "Bearer cd_not-a-real-key"})
    assert r.status_code == 401


def test_revoked_key_is_refused(client: TestClient, conn: Any, clinic_a: SeededClinic) -> None:
    assert client.get("/api/me", headers=clinic_a.headers).json()["clinic"]["slug"] == "clinic-a"
    clinics.revoke_api_key(conn, clinic_a.key[:10])
    conn.commit()
    r = client.get("/api/me", headers=clinic_a.headers)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


def _objects_of(client: TestClient, clinic: SeededClinic, seed: Seeder) -> dict[str, int]:
    upload = client.post("/api/call-lists", headers=clinic.headers, files={"file": ("list.csv", CSV, "text/csv")})
    assert upload.status_code == 201, upload.text
    appt = seed.appointment(clinic, status="confirmed", last_outcome="confirmed")
    attempt = seed.attempt(clinic, appt, outcome="confirmed", cost=0.1)
    batch = seed.batch(clinic, [appt])
    return {"call_list": upload.json()["call_list_id"], "appointment": appt, "call": attempt, "batch": batch}


def test_another_clinics_objects_are_not_found(client: TestClient, clinic_a: SeededClinic, clinic_b: SeededClinic,
                                               seed: Seeder) -> None:
    a = _objects_of(client, clinic_a, seed)
    b = _objects_of(client, clinic_b, seed)
    h = clinic_b.headers
    for method, path in [("GET", f"/api/call-lists/{a['call_list']}"),
                         ("GET", f"/api/call-lists/{a['call_list']}/errors.csv"),
                         ("GET", f"/api/batches/{a['batch']}"), ("POST", f"/api/batches/{a['batch']}/pause"),
                         ("POST", f"/api/batches/{a['batch']}/resume"),
                         ("GET", f"/api/appointments/{a['appointment']}"), ("GET", f"/api/calls/{a['call']}")]:
        r = client.request(method, path, headers=h)
        assert r.status_code == 404, (path, r.text)
    r = client.post("/api/test-calls/web", headers=h, json={"appointment_id": a["appointment"]})
    assert r.status_code == 404
    # ... while its own objects are there
    for path in (f"/api/call-lists/{b['call_list']}", f"/api/batches/{b['batch']}",
                 f"/api/appointments/{b['appointment']}", f"/api/calls/{b['call']}"):
        assert client.get(path, headers=h).status_code == 200, path
    # lists and figures only ever hold the caller's rows
    assert [c["id"] for c in client.get("/api/call-lists", headers=h).json()] == [b["call_list"]]
    assert [x["id"] for x in client.get("/api/batches", headers=h).json()] == [b["batch"]]
    ids = {x["id"] for x in client.get("/api/appointments", headers=h, params={"limit": 500}).json()["items"]}
    assert a["appointment"] not in ids and b["appointment"] in ids
    assert [x["id"] for x in client.get("/api/calls", headers=h).json()["items"]] == [b["call"]]
    stats = client.get("/api/stats", headers=h).json()
    assert stats["calls"] == 1 and stats["outcomes"] == {"confirmed": 1}
    # pausing B's batch did not touch A's
    assert client.get(f"/api/batches/{a['batch']}", headers=clinic_a.headers).json()["paused_at"] is None


def test_operator_acts_for_the_named_clinic(client: TestClient, conn: Any, clinic_a: SeededClinic,
                                            clinic_b: SeededClinic, seed: Seeder) -> None:
    appt = seed.appointment(clinic_a)
    op = {"Authorization": f"Bearer {OPERATOR_KEY}"}
    assert client.get("/api/appointments", headers=op).status_code == 400
    assert [c["slug"] for c in client.get("/api/clinics", headers=op).json()] == ["clinic-a", "clinic-b"]
    assert client.get(f"/api/appointments/{appt}", headers={**op, "X-Clinic": "clinic-a"}).status_code == 200
    assert client.get(f"/api/appointments/{appt}", headers={**op, "X-Clinic": "clinic-b"}).status_code == 404
    assert client.get("/api/me", headers={**op, "X-Clinic": "nope"}).status_code == 404
    # a clinic key cannot list clinics, and X-Clinic does not widen a clinic key's reach
    assert client.get("/api/clinics", headers=clinic_b.headers).status_code == 403
    r = client.get(f"/api/appointments/{appt}", headers={**clinic_b.headers, "X-Clinic": "clinic-a"})
    assert r.status_code == 404
    # an operator key stored in api_keys (clinic_id NULL) works like the settings one
    key = clinics.create_api_key(conn, None, label="ops")
    conn.commit()
    me = client.get("/api/me", headers={"Authorization": f"Bearer {key.key}"}).json()
    assert me["operator"] is True and me["clinic"] is None
