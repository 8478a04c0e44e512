"""Small row factories for dialer tests (patients, appointments, attempts) on the real schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

Conn = psycopg.Connection[dict[str, Any]]


def appointment(conn: Conn, clinic_id: int, external_id: str, starts_at: datetime, *, phone: str = "+12125550132",
                name: str | None = None, tz: str | None = None, **cols: Any) -> int:
    name = name or f"Patient {external_id}"
    pid = conn.execute(
        "INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, %s, %s)"
        " ON CONFLICT (clinic_id, phone, lower(full_name)) DO UPDATE SET updated_at = now() RETURNING id",
        (clinic_id, name, phone)).fetchone()["id"]
    names = ["clinic_id", "external_id", "patient_id", "starts_at", "timezone", *cols]
    values = [clinic_id, external_id, pid, starts_at, tz, *cols.values()]
    return conn.execute(f"INSERT INTO appointments ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
                        " RETURNING id", values).fetchone()["id"]


def attempt(conn: Conn, clinic_id: int, appointment_id: int, n: int, planned_at: datetime, *,
            phone: str = "+12125550132", status: str = "planned", outcome: str | None = None, **cols: Any) -> int:
    names = ["clinic_id", "appointment_id", "attempt_number", "phone", "planned_at", "status", "outcome", *cols]
    values = [clinic_id, appointment_id, n, phone, planned_at, "ended" if outcome else status, outcome,
              *cols.values()]
    return conn.execute(f"INSERT INTO call_attempts ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
                        " RETURNING id", values).fetchone()["id"]
