"""Issue 10 item 2 / issue 14 item 4: trunks and clinic readiness. The planner never plans for a clinic
that cannot be dialed; `clinic trunk create` makes the trunk on LiveKit; `clinic check` says what is missing.
(Server calls go to sim/livekit_standin's CreateSIPOutboundTrunk/ListSIPOutboundTrunk for now.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from clinic import clinics, readiness
from clinic.settings import get_settings
from dialer import planner
from dialer.cli import app
from tests.dialer.factories import appointment

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args))


def test_missing_settings_are_named_pure() -> None:
    row = {"sip_trunk_id": "ST_1", "caller_id": "+12125550100", "callback_number": None, "transfer_number": " "}
    assert readiness.missing_in_row(row, free_slots=0) == ["callback_number", "transfer_number", "free_slots"]
    assert readiness.missing_in_row({**row, "callback_number": "+1", "transfer_number": "+1"}, 3) == []


def test_planner_never_plans_a_clinic_that_is_not_ready(conn, make_clinic) -> None:
    plain = make_clinic("plain", ready=False)  # what `clinic add` alone makes
    appointment(conn, plain["id"], "p1", NOW + timedelta(days=2))
    conn.commit()
    row = conn.execute("SELECT * FROM clinics WHERE id = %s", (plain["id"],)).fetchone()
    explained = planner.explain(conn, row, NOW)
    assert explained.dial == [] and [s["reason"] for s in explained.skipped] == ["not_ready"]
    assert explained.as_json()["not_ready"] == ["sip_trunk_id", "caller_id", "callback_number", "transfer_number",
                                                "free_slots"]
    assert planner.tick(NOW, lambda _: None) == [planner.PlanResult(plain["id"], not_ready=explained.not_ready)]
    assert conn.execute("SELECT count(*) AS n FROM call_attempts").fetchone()["n"] == 0
    # Once it has everything, it is planned.
    clinics.update_clinic(conn, "plain", clinics.ClinicUpdate(
        sip_trunk_id="ST_x", caller_id="+12125550100", callback_number="+12125550100",
        transfer_number="+12125550101"))
    conn.execute("INSERT INTO slots (clinic_id, provider, starts_at) VALUES (%s, 'Dr. P', %s)",
                 (plain["id"], NOW + timedelta(days=3)))
    conn.commit()
    assert [d["external_id"] for r in planner.tick(NOW, lambda _: None) for d in r.dial] == ["p1"]


def test_plan_dry_run_cli_names_what_is_missing(db_url, conn, make_clinic) -> None:
    make_clinic("plain", ready=False, caller_id="+12125550100")
    result = _cli("plan", "--clinic", "plain", "--dry-run", "--at", "2026-03-10T15:00:00+00:00", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["not_ready"] == ["sip_trunk_id", "callback_number", "transfer_number",
                                                       "free_slots"]


@pytest.fixture
def trunk_env(standin, monkeypatch):
    monkeypatch.setenv("SIP_TRUNK_ADDRESS", "sip.carrier.example.com")
    monkeypatch.setenv("SIP_TRUNK_USERNAME", "clinic-user")
    monkeypatch.setenv("SIP_TRUNK_PASSWORD", "s3cret-pass")
    get_settings.cache_clear()
    return standin


def test_trunk_create_makes_the_trunk_on_livekit_and_stores_it(db_url, conn, make_clinic, trunk_env) -> None:
    make_clinic("t1", ready=False, caller_id="+12125550100")
    result = _cli("clinic", "trunk", "create", "--slug", "t1", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["created"] and out["sip_trunk_id"].startswith("ST_")
    (trunk,) = trunk_env.standin.outbound_trunks.values()
    assert (trunk.sip_trunk_id, trunk.address, list(trunk.numbers), trunk.auth_username, trunk.auth_password) == (
        out["sip_trunk_id"], "sip.carrier.example.com", ["+12125550100"], "clinic-user", "s3cret-pass")
    assert conn.execute("SELECT sip_trunk_id FROM clinics WHERE slug = 't1'").fetchone()["sip_trunk_id"] \
        == out["sip_trunk_id"]
    again = json.loads(_cli("clinic", "trunk", "create", "--slug", "t1", "--json").stdout)
    assert again == {"slug": "t1", "sip_trunk_id": out["sip_trunk_id"], "created": False}  # idempotent


def test_trunk_create_names_what_is_missing(db_url, make_clinic, trunk_env, monkeypatch) -> None:
    make_clinic("t2", ready=False)
    result = _cli("clinic", "trunk", "create", "--slug", "t2")
    assert result.exit_code == 1 and "caller_id" in result.stderr
    monkeypatch.delenv("SIP_TRUNK_ADDRESS")
    get_settings.cache_clear()
    result = _cli("clinic", "trunk", "create", "--slug", "t2")
    assert result.exit_code == 1 and "SIP_TRUNK_ADDRESS" in result.stderr


def test_clinic_check_says_what_is_missing_including_the_server_trunk(db_url, conn, make_clinic, trunk_env) -> None:
    make_clinic("c1", ready=False, caller_id="+12125550100", sip_trunk_id="ST_not_on_server")
    result = _cli("clinic", "check", "--slug", "c1", "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["ready"] is False
    assert out["missing"] == ["trunk_on_server", "callback_number", "transfer_number", "free_slots"]
    assert any("clinic trunk create --slug c1" in f for f in out["fix"])
    # Fix everything: the trunk on the server, the numbers, a free slot.
    conn.execute("UPDATE clinics SET sip_trunk_id = NULL WHERE slug = 'c1'")
    conn.commit()
    assert _cli("clinic", "trunk", "create", "--slug", "c1").exit_code == 0
    clinics.update_clinic(conn, "c1", clinics.ClinicUpdate(callback_number="+12125550100",
                                                           transfer_number="+12125550101"))
    conn.execute("INSERT INTO slots (clinic_id, provider, starts_at) SELECT id, 'Dr. P', now() + interval '3 days'"
                 " FROM clinics WHERE slug = 'c1'")
    conn.commit()
    result = _cli("clinic", "check", "--slug", "c1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ready"] is True


def test_clinic_check_reports_an_unreachable_livekit(db_url, make_clinic, monkeypatch) -> None:
    make_clinic("c2")
    monkeypatch.setenv("LIVEKIT_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    result = _cli("clinic", "check", "--slug", "c2", "--json")
    out = json.loads(result.stdout)
    assert result.exit_code == 1 and out["missing"] == ["trunk_on_server"] and "unreachable" in out["server"]["error"]
