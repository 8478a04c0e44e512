"""Property-based run over the OpenAPI schema: whatever the body, query or path, never a 5xx.

Bounded (a few examples per operation) so it stays well under a minute; every operation runs with a valid
clinic key against a database holding a little of everything, so the generated requests reach the views."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.token_server.conftest import SeededClinic, Seeder

CSV = "external_id,patient_name,phone,appointment_start\nS1,Sam Stone,212-555-0170,2026-03-12T10:00:00-04:00\n"


@pytest.fixture
def api_schema(client: Any, clinic_a: SeededClinic, seed: Seeder) -> Any:
    appt = seed.appointment(clinic_a, status="confirmed")
    seed.batch(clinic_a, [appt])
    seed.attempt(clinic_a, appt, outcome="confirmed", cost=0.2, transcript=[{"role": "agent", "text": "Hello"}])
    client.post("/api/call-lists", headers=clinic_a.headers, files={"file": ("s.csv", CSV, "text/csv")})
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


def test_no_server_errors(api_schema: Any, clinic_a: SeededClinic) -> None:
    """One Hypothesis run per operation, driven by hand: schemathesis' pytest plugin does not load with
    this pytest, and one test keeps the per-test database set-up to once."""
    seen: list[str] = []
    statuses: list[int] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        seen.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def run(case: Any) -> None:
            response = case.call_and_validate(headers=clinic_a.headers, checks=[not_a_server_error])
            statuses.append(response.status_code)

        run()
    assert "POST /api/call-lists" in seen and "POST /api/livekit/webhook" in seen and len(seen) >= 18
    assert len(statuses) >= 2 * len(seen)
    assert any(code < 300 for code in statuses) and any(code == 422 for code in statuses)  # reached the views
