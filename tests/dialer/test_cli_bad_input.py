"""Issue 14 items 9 and 10: every CLI command turns bad input into one line naming the field and exits
non-zero; no traceback reaches the user. Run as a user runs it (`python -m dialer ...` in a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import Result
from typer.testing import CliRunner

from clinic import clinics
from dialer.cli import app

LONG_NAME = "a" * 5000

CASES = [
    (["clinic", "add", "--slug", "empty-name", "--name", "", "--timezone", "America/New_York"], "name"),
    (["clinic", "add", "--slug", "long-name", "--name", LONG_NAME, "--timezone", "America/New_York"], "name"),
    (["clinic", "add", "--slug", "late", "--name", "Late", "--timezone", "America/New_York",
      "--calling-hours", "22:00-23:00"], "calling hours"),
    (["clinic", "update", "--slug", "cli-clinic", "--calls-per-second", "nan"], "calls_per_second"),
    (["clinic", "update", "--slug", "cli-clinic", "--calls-per-second", "inf"], "calls_per_second"),
    (["clinic", "update", "--slug", "cli-clinic", "--name", LONG_NAME], "name"),
    (["clinic", "update", "--slug", "cli-clinic", "--calling-hours", "05:00-07:30"], "calling hours"),
    (["plan", "--clinic", "cli-clinic", "--dry-run", "--at", "0001-01-01T00:00:00+00:00"], "--at"),
    (["plan", "--clinic", "cli-clinic", "--dry-run", "--at", "9999-12-31T23:59:59-12:00"], "--at"),
    (["slots", "generate", "--clinic", "cli-clinic", "--provider", "Dr. P", "--from", "2026-12-01",
      "--to", "2099-12-31"], "--to"),
    (["slots", "generate", "--clinic", "cli-clinic", "--provider", "Dr. P", "--from", "0001-01-01",
      "--to", "0001-01-02"], "--from"),
    (["batch", "--clinic", "cli-clinic", "--date", "9999-12-31"], "--date"),
]


@pytest.fixture
def cli(db_url: str, conn):
    """In process (fast): the command must exit through `fail` (SystemExit 1), never raise."""
    clinics.create_clinic(conn, slug="cli-clinic", name="CLI Clinic", timezone="America/New_York", state="NY")
    conn.commit()
    runner = CliRunner()

    def run(args: list[str]) -> Result:
        return runner.invoke(app, args, env={"COLUMNS": "60"})

    return run


@pytest.fixture
def cli_process(db_url: str):
    """As a user runs it: `python -m dialer` in a subprocess (slow on a busy machine: used sparingly)."""
    def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dialer", *args], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "DATABASE_URL": db_url, "COLUMNS": "60", **env})

    return run


@pytest.mark.parametrize(("args", "field"), CASES, ids=[" ".join(a[:2]) + f" {f}" for a, f in CASES])
def test_bad_input_is_one_line_naming_the_field(cli, args: list[str], field: str) -> None:
    result = cli(args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and field in lines[0], result.stderr


def test_bad_input_as_a_user_runs_it(cli_process, conn) -> None:
    clinics.create_clinic(conn, slug="cli-clinic", name="CLI Clinic", timezone="America/New_York", state="NY")
    conn.commit()
    proc = cli_process(["plan", "--clinic", "cli-clinic", "--dry-run", "--at", "9999-12-31T23:59:59-12:00"])
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --at"), proc.stderr


def test_json_mode_gives_one_json_error(cli) -> None:
    result = cli(["plan", "--clinic", "cli-clinic", "--dry-run", "--at", "0001-01-01T00:00:00+00:00", "--json"])
    assert result.exit_code == 1 and result.stdout.startswith('{"error": "--at')


def test_an_unexpected_failure_is_one_line_too(cli_process) -> None:
    proc = cli_process(["clinic", "list"], DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "OperationalError" in lines[0]


def test_hours_partly_outside_the_legal_window_warn(cli) -> None:
    result = cli(["clinic", "update", "--slug", "cli-clinic", "--calling-hours", "07:00-20:00"])
    assert result.exit_code == 0 and "warning" in result.stderr and "08:00-20:00" in result.stderr
