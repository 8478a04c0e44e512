"""The clinic admin CLI as an operator uses it: --json output, clear errors, keys shown once."""

import json
from typing import Any

import psycopg
from typer.testing import CliRunner

from clinic.clinics import hash_key
from dialer.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, Any]:
    result = runner.invoke(app, list(args))
    try:
        return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return result.exit_code, result.stdout


def test_clinic_add_prints_key_once_and_stores_only_its_hash(db_url: str) -> None:
    code, out = run("clinic", "add", "--slug", "sunrise", "--name", "Sunrise", "--timezone", "America/Chicago",
                    "--state", "tx", "--calling-hours", "10:00-18:30", "--json")
    assert code == 0, out
    assert out["api_key"].startswith("cd_") and out["state"] == "TX"
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT key_hash FROM api_keys").fetchall()
        hours = conn.execute("SELECT calling_hours_start::text, calling_hours_end::text FROM clinics").fetchone()
    assert stored == [(hash_key(out["api_key"]),)]
    assert hours == ("10:00:00", "18:30:00")
    code, listed = run("clinic", "list", "--json")
    assert code == 0 and listed["clinics"][0]["calling_hours"] == "10:00-18:30"
    assert "api_key" not in listed["clinics"][0]


def test_clinic_add_rejects_bad_settings_with_next_step(db_url: str) -> None:
    base = ["clinic", "add", "--slug", "x", "--name", "X", "--json"]
    code, out = run(*base, "--timezone", "Mars/Olympus", "--state", "NY")
    assert code == 1 and "IANA" in out["error"]
    code, out = run(*base, "--timezone", "America/New_York", "--state", "ZZ")
    assert code == 1 and "state" in out["error"]
    code, out = run(*base, "--timezone", "America/New_York", "--calling-hours", "19:00-09:00")
    assert code == 1 and "end after" in out["error"]
    run(*base, "--timezone", "America/New_York")
    code, out = run(*base, "--timezone", "America/New_York")
    assert code == 1 and "already exists" in out["error"]


def test_dnc_add_normalises_and_is_idempotent(db_url: str) -> None:
    run("clinic", "add", "--slug", "c1", "--name", "C1", "--timezone", "America/New_York")
    code, out = run("dnc", "add", "(415) 555-0132", "--clinic", "c1", "--reason", "asked", "--json")
    assert code == 0 and out == {"phone": "+1415***0132", "clinic": "c1", "added": True}
    code, out = run("dnc", "add", "+1 415 555 0132", "--clinic", "c1", "--reason", "again", "--json")
    assert code == 0 and out["added"] is False
    code, out = run("dnc", "add", "12", "--reason", "x", "--json")
    assert code == 1 and out["error"].startswith("number:")
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT phone FROM dnc").fetchall() == [("+14155550132",)]


def test_slots_generate_covers_weekdays_and_is_idempotent(db_url: str) -> None:
    run("clinic", "add", "--slug", "c1", "--name", "C1", "--timezone", "America/New_York")
    # 2027-03-12 (Fri) .. 2027-03-15 (Mon) spans a weekend and the US DST change on 2027-03-14
    args = ["slots", "generate", "--clinic", "c1", "--provider", "Dr. Patel", "--from", "2027-03-12",
            "--to", "2027-03-15", "--json"]
    code, out = run(*args)
    assert code == 0 and out["created"] == 28  # 2 weekdays x 14 half-hour slots (9-17 minus lunch)
    code, again = run(*args)
    assert again["created"] == 0
    with psycopg.connect(db_url) as conn:
        local = conn.execute("SELECT DISTINCT to_char(starts_at AT TIME ZONE 'America/New_York', 'HH24:MI')"
                             " FROM slots ORDER BY 1").fetchall()
    assert local[0] == ("09:00",) and local[-1] == ("16:30",)  # 9:00 stays 9:00 local across DST


def test_keys_revoke(db_url: str) -> None:
    _, out = run("clinic", "add", "--slug", "c1", "--name", "C1", "--timezone", "America/New_York", "--json")
    code, res = run("keys", "revoke", out["api_key"][:10], "--json")
    assert code == 0 and res == {"revoked": 1}
    code, res = run("keys", "revoke", out["api_key"][:10], "--json")
    assert code == 1
