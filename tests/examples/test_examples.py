"""Every program in examples/ runs against a fresh database and prints what its docstring promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run examples/<name> the way a reader does (`python examples/<name>`), on the test's database."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **(env or {})}
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"{name} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_every_example_has_a_test() -> None:
    tested = {"import_call_list.py", "clinic_fact_sheet.py", "dry_run_plan.py", "simulated_call.py",
              "custom_persona.py", "browser_token.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_import_call_list(db_url: str) -> None:
    rows = len((EXAMPLES / "call_list.csv").read_text().strip().splitlines()) - 1   # the sample's good rows
    out = run_example("import_call_list.py")
    assert f"first upload:  imported={rows} updated=0 unchanged=0 rejected=1" in out
    assert "column phone: phone is empty" in out
    assert f"second upload: imported=0 updated=0 unchanged={rows} rejected=1" in out


def test_clinic_fact_sheet(db_url: str) -> None:
    out = run_example("clinic_fact_sheet.py")
    assert "Q: Is there parking?\nA: Use the Harbor Road garage" in out
    assert "A: There is a ramp and an elevator" in out
    assert "Q: Do you accept my insurance plan?\nA: (not on the sheet" in out


def test_dry_run_plan(db_url: str, conn) -> None:
    out = run_example("dry_run_plan.py")
    assert "would dial now: SFM-" in out and ": on the do-not-call list" in out
    night = run_example("dry_run_plan.py", "--at", "2027-01-12T22:00:00-05:00")
    assert "would dial now: nobody" in night and "outside_window=" in night
    # a dry run creates no call attempts
    assert conn.execute("SELECT count(*) AS n FROM call_attempts").fetchone()["n"] == 0


@pytest.mark.slow
def test_simulated_call(db_url: str) -> None:
    out = run_example("simulated_call.py")
    assert "outcome confirmed, appointment now confirmed" in out
    assert "agent: " in out and "patient: " in out and "confirm_appointment" in out
    assert "automated assistant" in out


@pytest.mark.slow
def test_custom_persona(db_url: str) -> None:
    out = run_example("custom_persona.py")
    assert "outcome cancelled, appointment now cancelled" in out
    assert "patient: Before I answer, where do I park?" in out


def test_browser_token(db_url: str, redis_prefix: str) -> None:
    out = run_example("browser_token.py", env={"RATE_LIMIT_KEY_PREFIX": redis_prefix + "rl:"})
    assert "grants: room_join=True" in out
    assert "with metadata {'attempt_id':" in out and "'mode': 'web'}" in out
