"""`make demo`'s main job (`python -m sim.demo`) on the test's own database: the whole sample night runs,
every persona ends as it must, and the dashboard it leaves behind has the night's figures."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def test_demo_night_passes_and_leaves_dashboard_figures(db_url: str, conn: Any) -> None:
    proc = subprocess.run([sys.executable, "-m", "sim.demo"], capture_output=True, text=True, timeout=240,
                          env={**os.environ, "DATABASE_URL": db_url, "COLUMNS": "120"})
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-3000:]}"
    assert "demo passed: every appointment ended as its persona must." in proc.stdout
    for heading in ("Night summary", "confirmation rate", "cost per confirmed appointment",
                    "call length", "python -m dialer calls show"):
        assert heading in proc.stdout, heading

    statuses = {r["status"]: r["n"] for r in conn.execute(
        "SELECT a.status, count(*) AS n FROM appointments a JOIN clinics c ON c.id = a.clinic_id"
        " WHERE c.slug = 'sunrise-family' GROUP BY 1").fetchall()}
    assert sum(statuses.values()) == 40 and "pending" not in statuses
    answered = conn.execute("SELECT count(*) AS n, count(*) FILTER (WHERE cost_usd > 0 AND duration_seconds > 5"
                            " AND (usage->>'modelled')::boolean) AS stamped FROM call_attempts"
                            " WHERE answered_at IS NOT NULL AND outcome <> 'lost'").fetchone()
    assert answered["n"] > 0 and answered["stamped"] == answered["n"]
    # Postgres is the source of truth: never two attempts of one appointment in flight together.
    overlap = conn.execute("SELECT count(*) AS n FROM call_attempts a JOIN call_attempts b"
                           " ON a.appointment_id = b.appointment_id AND a.id < b.id"
                           " AND b.planned_at < coalesce(a.ended_at, 'infinity')").fetchone()
    assert overlap["n"] == 0
