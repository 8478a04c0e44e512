"""Bad bodies get a 422 naming the field; uploads report row errors and keep good rows."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.token_server.conftest import SeededClinic

GOOD = "A{n},Ann Smith {n},212-555-01{n:02d},2026-03-12T10:00:00-04:00\n"
HEADER = "external_id,patient_name,phone,appointment_start\n"


def test_422_names_the_field(client: TestClient, clinic_a: SeededClinic) -> None:
    h = clinic_a.headers
    r = client.post("/api/test-calls/phone", headers=h, json={})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "phone"]
    assert "body.phone" in r.json()["message"]
    r = client.post("/api/test-calls/phone", headers=h, json={"phone": "not a number"})
    assert r.status_code == 422 and "body.phone" in r.json()["message"]
    assert "not a number" not in r.text  # inputs (possibly PHI) are not echoed back
    r = client.post("/api/test-calls/web", headers=h, json={"test_appointment": {"duration_minutes": 0}})
    assert r.status_code == 422 and "body.test_appointment.duration_minutes" in r.json()["message"]
    r = client.post("/api/test-calls/web", headers=h, json={"test_appointment": {"starts_at": "2026-03-12T10:00"}})
    assert r.status_code == 422 and "time zone" in r.json()["message"]
    r = client.get("/api/appointments", headers=h, params={"status": "maybe"})
    assert r.status_code == 422 and "query.status" in r.json()["message"]
    r = client.get("/api/calls", headers=h, params={"limit": 0})
    assert r.status_code == 422 and "query.limit" in r.json()["message"]
    r = client.post("/api/call-lists", headers=h)
    assert r.status_code == 422 and "body.file" in r.json()["message"]


def test_upload_reports_row_errors_and_keeps_good_rows(client: TestClient, clinic_a: SeededClinic, conn: Any) -> None:
    data = HEADER + GOOD.format(n=1) + "A2,Bob Jones,12,2026-03-12T11:00:00-04:00\n" + GOOD.format(n=3)
    r = client.post("/api/call-lists", headers=clinic_a.headers, files={"file": ("night.csv", data, "text/csv")})
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["imported"], report["rejected"]) == (2, 1)
    assert report["errors"][0]["column"] == "phone" and report["errors"][0]["row"] is not None
    n = conn.execute("SELECT count(*) AS n FROM appointments WHERE clinic_id = %s", (clinic_a.id,)).fetchone()["n"]
    assert n == 2
    detail = client.get(f"/api/call-lists/{report['call_list_id']}", headers=clinic_a.headers).json()
    assert detail["filename"] == "night.csv" and detail["rejected"] == 1
    csv = client.get(f"/api/call-lists/{report['call_list_id']}/errors.csv", headers=clinic_a.headers)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "row,column,message" and ",phone," in lines[1]
    # the same file again changes nothing
    again = client.post("/api/call-lists", headers=clinic_a.headers, files={"file": ("night.csv", data, "text/csv")})
    assert again.json()["unchanged"] == 2 and again.json()["imported"] == 0


def test_whole_file_problems_are_clear(client: TestClient, clinic_a: SeededClinic, monkeypatch: Any) -> None:
    h = clinic_a.headers
    r = client.post("/api/call-lists", headers=h, files={"file": ("x.csv", b"", "text/csv")})
    assert r.status_code == 400 and "empty" in r.json()["detail"]
    r = client.post("/api/call-lists", headers=h, files={"file": ("x.csv", b"name,when\nA,B\n", "text/csv")})
    assert r.status_code == 422 and r.json()["detail"]
    monkeypatch.setenv("IMPORT_MAX_BYTES", "100")
    from clinic.settings import get_settings

    get_settings.cache_clear()
    big = HEADER + "".join(GOOD.format(n=i) for i in range(10))
    r = client.post("/api/call-lists", headers=h, files={"file": ("big.csv", big, "text/csv")})
    assert r.status_code == 413 and "limit" in r.json()["detail"]
