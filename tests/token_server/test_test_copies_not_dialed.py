"""Test-call copies (is_test) must never be planned or batched by the dialer, even after a test call that
the retry policy would retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from clinic.outcomes import finish_attempt
from dialer import batches, planner
from tests.token_server.conftest import NOW, SeededClinic, Seeder


def test_planner_and_batches_skip_test_copies(client: TestClient, clinic_a: SeededClinic, seed: Seeder,
                                              conn: Any) -> None:
    starts = NOW + timedelta(days=2)
    real = seed.appointment(clinic_a, starts_at=starts)
    out = client.post("/api/test-calls/web", headers=clinic_a.headers,
                      json={"test_appointment": {"starts_at": starts.isoformat()}}).json()
    finish_attempt(conn, out["attempt_id"], "no_answer", now=NOW)  # the policy would call it again
    conn.commit()
    clinic = conn.execute("SELECT * FROM clinics WHERE id = %s", (clinic_a.id,)).fetchone()
    batch = batches.build_batch(conn, clinic, (NOW + timedelta(days=1)).date(), NOW + timedelta(days=1))
    in_batch = {r["appointment_id"] for r in conn.execute(
        "SELECT appointment_id FROM batch_appointments WHERE batch_id = %s", (batch["batch_id"],)).fetchall()}
    result = planner.plan_clinic(conn, clinic, NOW + timedelta(days=1))
    conn.rollback()
    dialed = {d["appointment_id"] for d in result.dial}
    assert real in dialed and real in in_batch  # the control is planned, so the check can fail
    assert out["appointment_id"] not in dialed and out["appointment_id"] not in in_batch
