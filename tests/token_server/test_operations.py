"""/health, /metrics, CORS and the dashboard's figures."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from clinic.settings import get_settings
from tests.token_server.conftest import OPERATOR_KEY, SeededClinic, Seeder
from token_server.dashboard.views import confirmation_rate, cost_per_confirmed


def test_health_reports_postgres_and_redis(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/health").json() == {"status": "ok", "postgres": "ok", "redis": "ok"}
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")
    get_settings.cache_clear()
    r = client.get("/health")
    assert r.status_code == 503 and r.json()["redis"].startswith("unreachable")


def test_metrics_expose_outcomes_dials_imports_and_queues(client: TestClient, clinic_a: SeededClinic, seed: Seeder,
                                                          conn: Any) -> None:
    a = seed.appointment(clinic_a, status="confirmed")
    seed.attempt(clinic_a, a, outcome="busy", number=1)
    seed.attempt(clinic_a, a, outcome="confirmed", number=2)
    client.post("/api/call-lists", headers=clinic_a.headers,
                files={"file": ("l.csv", "external_id,patient_name,phone,appointment_start\n"
                                         "Z1,Zed,12,2026-03-12T10:00:00-04:00\n", "text/csv")})
    r = client.get("/metrics", headers={"Authorization": f"Bearer {OPERATOR_KEY}"})
    assert r.status_code == 200, r.text
    text = r.text
    assert 'clinic_dialer_calls_total{clinic="clinic-a",mode="sip",outcome="confirmed"} 1.0' in text
    assert 'clinic_dialer_dial_results_total{clinic="clinic-a",result="busy"} 1.0' in text
    assert 'clinic_dialer_dial_results_total{clinic="clinic-a",result="answered"} 1.0' in text
    assert 'clinic_dialer_import_rows_total{clinic="clinic-a",result="rejected"} 1.0' in text
    assert 'clinic_dialer_queue_depth{queue="celery"}' in text
    assert "Zed" not in text and "+1212" not in text


def test_metrics_need_the_operator_key_or_metrics_token(client: TestClient, clinic_a: SeededClinic,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/metrics").status_code == 401
    # A clinic key must not read every clinic's slugs and counts.
    r = client.get("/metrics", headers=clinic_a.headers)
    assert r.status_code == 403 and "clinic_dialer" not in r.text
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"}).status_code == 401
    monkeypatch.setenv("METRICS_TOKEN", "scrape-token-0123456789")
    get_settings.cache_clear()
    r = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
    assert r.status_code == 200 and "clinic_dialer_postgres_up 1.0" in r.text
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-token-wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {OPERATOR_KEY}"}).status_code == 200


def test_cors_allows_only_configured_origins(client: TestClient) -> None:
    ok = client.options("/api/me", headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"})
    assert ok.headers.get("access-control-allow-origin") == "http://localhost:5173"
    bad = client.options("/api/me", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in bad.headers


def test_dashboard_figures(client: TestClient, clinic_a: SeededClinic, seed: Seeder) -> None:
    confirmed = seed.appointment(clinic_a, status="confirmed")
    seed.attempt(clinic_a, confirmed, outcome="confirmed", cost=0.30)
    other = seed.appointment(clinic_a)
    seed.attempt(clinic_a, other, outcome="no_answer", cost=0.10)
    batch = seed.batch(clinic_a, [confirmed, other])
    stats = client.get("/api/stats", headers=clinic_a.headers).json()
    assert stats["date"] == "2026-03-10"
    assert stats["outcomes"] == {"confirmed": 1, "no_answer": 1}
    assert stats["confirmation_rate"] == 0.5
    assert stats["cost_per_confirmed_usd"] == pytest.approx(0.40)
    assert stats["batch"]["id"] == batch and stats["batch"]["confirmed"] == 1
    call = client.get("/api/calls", headers=clinic_a.headers, params={"outcome": "confirmed"}).json()["items"]
    assert [c["appointment_id"] for c in call] == [confirmed]
    assert call[0]["phone_masked"].count("*") >= 3


def test_rate_and_cost_rules() -> None:
    assert confirmation_rate(0, 0) is None and confirmation_rate(3, 4) == 0.75
    assert cost_per_confirmed(1.0, 0) is None and cost_per_confirmed(1.0, 4) == 0.25
