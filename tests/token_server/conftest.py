"""Fixtures for the token server: an app on a fresh database, two clinics with keys, and seeding helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from clinic import clinics
from clinic.clock import FixedClock, set_clock
from clinic.settings import get_settings

OPERATOR_KEY = "operator-test-key-0123456789"
ANSWERED = ("confirmed", "rescheduled", "cancelled", "voicemail_left", "callback_requested")
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York, a Tuesday


@dataclass
class SeededClinic:
    row: dict[str, Any]
    key: str

    @property
    def id(self) -> int:
        return int(self.row["id"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def server_env(db_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings every token-server test shares: the test database, an operator key, a private rate-limit
    prefix, and an unreachable LiveKit (nothing here may place a call by accident)."""
    monkeypatch.setenv("OPERATOR_API_KEY", OPERATOR_KEY)
    monkeypatch.setenv("RATE_LIMIT_KEY_PREFIX", redis_prefix + "rl:")
    monkeypatch.setenv("LIVEKIT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CORS_ORIGINS", '["http://localhost:5173"]')
    get_settings.cache_clear()
    set_clock(FixedClock(NOW))
    yield
    set_clock(None)
    get_settings.cache_clear()


@pytest.fixture
def client(server_env: None) -> Iterator[TestClient]:
    from token_server.app import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def clinic_with_key(conn: psycopg.Connection[dict[str, Any]], make_clinic: Callable[..., dict[str, Any]]
                    ) -> Callable[..., SeededClinic]:
    def _make(slug: str, **extra: Any) -> SeededClinic:
        row = make_clinic(slug, **extra)
        key = clinics.create_api_key(conn, row["id"], label="test")
        conn.commit()
        return SeededClinic(row, key.key)

    return _make


@pytest.fixture
def clinic_a(clinic_with_key: Callable[..., SeededClinic]) -> SeededClinic:
    return clinic_with_key("clinic-a", test_allowlist=["+12125550199"])


@pytest.fixture
def clinic_b(clinic_with_key: Callable[..., SeededClinic]) -> SeededClinic:
    return clinic_with_key("clinic-b")


class Seeder:
    """Writes appointments, attempts and batches the way the importer and dialer would."""

    def __init__(self, conn: psycopg.Connection[dict[str, Any]]) -> None:
        self.conn = conn
        self._n = 0

    def appointment(self, clinic: SeededClinic, *, status: str = "pending", starts_at: datetime | None = None,
                    name: str = "Maria Lopez", phone: str | None = None, last_outcome: str | None = None) -> int:
        self._n += 1
        phone = phone or f"+1212555{self._n:04d}"
        p = self.conn.execute(
            "INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, %s, %s) RETURNING id",
            (clinic.id, name, phone)).fetchone()
        a = self.conn.execute(
            "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, provider, status, last_outcome)"
            " VALUES (%s, %s, %s, %s, 'Dr. Patel', %s, %s) RETURNING id",
            (clinic.id, f"ext-{self._n}", p["id"], starts_at or NOW + timedelta(days=1), status, last_outcome),
        ).fetchone()
        self.conn.commit()
        return int(a["id"])

    def attempt(self, clinic: SeededClinic, appointment_id: int, *, outcome: str | None = None, number: int = 1,
                cost: float | None = None, planned_at: datetime = NOW, transcript: Any = None,
                status: str | None = None) -> int:
        row = self.conn.execute(
            "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, status, outcome,"
            " planned_at, ended_at, cost_usd, transcript, summary, answered_at, duration_seconds)"
            " SELECT %s, a.id, %s, p.phone, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM appointments a"
            " JOIN patients p ON p.id = a.patient_id WHERE a.id = %s RETURNING id",
            (clinic.id, number, status or ("ended" if outcome else "planned"), outcome, planned_at,
             planned_at + timedelta(minutes=2) if outcome else None, cost,
             psycopg.types.json.Jsonb(transcript) if transcript is not None else None,
             "Patient confirmed." if outcome == "confirmed" else None,
             planned_at + timedelta(seconds=20) if outcome in ANSWERED else None,
             (40 + 7 * number + len(outcome)) if outcome in ANSWERED else None,
             appointment_id)).fetchone()
        self.conn.execute("UPDATE call_attempts SET room_name = 'call-' || id WHERE id = %s", (row["id"],))
        self.conn.commit()
        return int(row["id"])

    def batch(self, clinic: SeededClinic, appointment_ids: list[int], day: date = date(2026, 3, 10)) -> int:
        row = self.conn.execute(
            "INSERT INTO batches (clinic_id, batch_date, built_at, planned) VALUES (%s, %s, %s, %s) RETURNING id",
            (clinic.id, day, NOW - timedelta(hours=8), len(appointment_ids))).fetchone()
        for a in appointment_ids:
            self.conn.execute("INSERT INTO batch_appointments (batch_id, appointment_id) VALUES (%s, %s)",
                              (row["id"], a))
        self.conn.commit()
        return int(row["id"])


@pytest.fixture
def seed(conn: psycopg.Connection[dict[str, Any]]) -> Seeder:
    return Seeder(conn)
