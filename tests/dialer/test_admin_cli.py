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


def test_clinic_update_changes_settings_normalises_phones_and_audits(db_url: str) -> None:
    run("clinic", "add", "--slug", "c1", "--name", "C1", "--timezone", "America/New_York")
    code, out = run("clinic", "update", "--slug", "c1", "--name", "Sunrise Family", "--calling-hours", "10:00-18:00",
                    "--caller-id", "(212) 555-0100", "--callback-number", "212.555.0101",
                    "--transfer-number", "+1 212 555 0102", "--sip-trunk-id", "ST_abc", "--max-concurrent-calls", "8",
                    "--calls-per-second", "2.5", "--allow-test-number", "212-555-0199",
                    "--allow-test-number", "(212) 555-0198", "--json")
    assert code == 0, out
    changed = out["changed"]
    assert changed["name"] == {"from": "C1", "to": "Sunrise Family"}
    assert changed["calling_hours"] == {"from": "09:00-19:00", "to": "10:00-18:00"}
    assert changed["caller_id"] == {"from": None, "to": "+12125550100"}
    assert changed["max_concurrent_calls"] == {"from": 5, "to": 8}
    assert changed["calls_per_second"] == {"from": 1.0, "to": 2.5}
    assert changed["test_allowlist"] == {"from": [], "to": ["+1212***0199", "+1212***0198"]}
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT name, caller_id, callback_number, transfer_number, sip_trunk_id,"
                           " max_concurrent_calls, calls_per_second::text, test_allowlist::text[],"
                           " calling_hours_start::text FROM clinics").fetchone()
        event = conn.execute("SELECT actor, data FROM events WHERE kind = 'clinic.updated'").fetchall()
    assert row == ("Sunrise Family", "+12125550100", "+12125550101", "+12125550102", "ST_abc", 8, "2.50",
                   ["+12125550199", "+12125550198"], "10:00:00")
    assert len(event) == 1 and event[0][0] == "cli"
    assert set(event[0][1]["changed"]) == set(changed) and "+12125550199" not in json.dumps(event[0][1])

    code, out = run("clinic", "update", "--slug", "c1", "--disallow-test-number", "+12125550199",
                    "--allow-test-number", "2125550198", "--max-concurrent-calls", "8", "--json")
    assert code == 0 and out["changed"] == {"test_allowlist": {"from": ["+1212***0199", "+1212***0198"],
                                                                "to": ["+1212***0198"]}}
    code, out = run("clinic", "update", "--slug", "c1", "--max-concurrent-calls", "8")
    assert code == 0 and "nothing changed" in out
    code, out = run("clinic", "update", "--slug", "c1", "--caller-id", "2125550111")
    assert code == 0 and "caller_id: +12125550100 -> +12125550111" in out


def test_clinic_update_rejects_bad_values_and_changes_nothing(db_url: str) -> None:
    run("clinic", "add", "--slug", "c1", "--name", "C1", "--timezone", "America/New_York")
    base = ["clinic", "update", "--slug", "c1", "--json"]
    for args, message in [((), "nothing to change"), (("--caller-id", "12"), "caller_id:"),
                          (("--calling-hours", "19:00-09:00"), "end after"),
                          (("--max-concurrent-calls", "0"), "max_concurrent_calls"),
                          (("--calls-per-second", "-1"), "calls_per_second"),
                          (("--calls-per-second", "0.001"), "calls_per_second"),
                          (("--name", "  "), "name"), (("--allow-test-number", "abc"), "allow_test_number:"),
                          (("--disallow-test-number", "2125550199"), "not on the test allow-list"),
                          (("--name", "New", "--transfer-number", "1"), "transfer_number:")]:
        code, out = run(*base, *args)
        assert code == 1 and message in out["error"], (args, out)
    code, out = run("clinic", "update", "--slug", "nope", "--name", "X", "--json")
    assert code == 1 and "clinic list" in out["error"]
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT name, max_concurrent_calls FROM clinics").fetchone() == ("C1", 5)
        assert conn.execute("SELECT count(*) FROM events WHERE kind = 'clinic.updated'").fetchone() == (0,)
