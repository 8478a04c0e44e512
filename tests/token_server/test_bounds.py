"""Issue 14 item 1 at its door and item 10: API dates bounded, the X-Clinic header never echoed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.token_server.conftest import OPERATOR_KEY, SeededClinic


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00:00-12:00", "9999-12-31T23:59:59-12:00",
                                       "2029-06-01T10:00:00-04:00", "2024-01-01T10:00:00-05:00"])
def test_test_call_dates_far_from_now_are_a_422_naming_the_field(client: TestClient, clinic_a: SeededClinic,
                                                                 starts_at: str, conn) -> None:
    r = client.post("/api/test-calls/web", headers=clinic_a.headers,
                    json={"test_appointment": {"starts_at": starts_at}})
    assert r.status_code == 422, r.text
    assert "starts_at" in r.text and "out of range" in r.text
    assert conn.execute("SELECT count(*) AS n FROM appointments WHERE is_test").fetchone()["n"] == 0


def test_unknown_x_clinic_is_not_echoed(client: TestClient) -> None:
    huge = "x" * 100_000
    r = client.get("/api/calls", headers={"Authorization": f"Bearer {OPERATOR_KEY}", "X-Clinic": huge})
    assert r.status_code == 404
    assert len(r.content) < 500 and "xxxx" not in r.text
    assert "X-Clinic" in r.json()["detail"] if "detail" in r.json() else "X-Clinic" in r.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_extreme_filter_dates_are_not_a_5xx(client: TestClient, clinic_a: SeededClinic, day: str) -> None:
    for path in ("/api/calls", "/api/appointments"):
        r = client.get(path, headers=clinic_a.headers, params={"date": day})
        assert r.status_code < 500, (path, r.text)
