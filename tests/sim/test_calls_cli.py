"""`python -m dialer calls show`: the conversation of one attempt, as text and as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from psycopg.types.json import Jsonb
from typer.testing import CliRunner

from dialer.cli import app
from dialer.cli.calls import render_item, transcript_items


def _attempt(conn, make_clinic, transcript):
    clinic = make_clinic("calls-show")
    p = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, 'Maria Garcia', '+12125550100')"
                     " RETURNING id", (clinic["id"],)).fetchone()
    a = conn.execute("INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at) VALUES (%s, 'A-1', %s,"
                     " %s) RETURNING id", (clinic["id"], p["id"], datetime.now(UTC) + timedelta(days=2))).fetchone()
    row = conn.execute(
        "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, mode, status, outcome,"
        " transcript, duration_seconds) VALUES (%s, %s, 1, '+12125550100', 'sim', 'ended', 'confirmed', %s, 42.5)"
        " RETURNING id", (clinic["id"], a["id"], Jsonb(transcript))).fetchone()
    conn.commit()
    return row["id"]


TRANSCRIPT = [
    {"role": "assistant", "text": "Hi, this is the automated assistant for Calls-Show Clinic.", "t": 0.0},
    {"role": "user", "text": "yes this is maria", "t": 3.2},
    {"type": "tool_call", "name": "confirm_appointment", "arguments": {"appointment_id": 1}, "result": "ok", "t": 5.0},
    {"role": "user", "hang_up": True, "t": 7.0},
]


def test_show_prints_the_conversation(conn, make_clinic) -> None:
    attempt_id = _attempt(conn, make_clinic, TRANSCRIPT)
    out = CliRunner().invoke(app, ["calls", "show", str(attempt_id)])
    assert out.exit_code == 0, out.output
    assert "agent: Hi, this is the automated assistant" in out.output
    assert "patient: yes this is maria" in out.output
    assert "confirm_appointment(appointment_id=1) -> ok" in out.output
    assert "confirmed" in out.output and "42.5s" in out.output


def test_show_json(conn, make_clinic) -> None:
    attempt_id = _attempt(conn, make_clinic, {"turns": TRANSCRIPT})
    out = CliRunner().invoke(app, ["calls", "show", str(attempt_id), "--json"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert body["outcome"] == "confirmed" and body["external_id"] == "A-1"
    assert [i.get("text") for i in body["transcript"]][:2] == [TRANSCRIPT[0]["text"], "yes this is maria"]


def test_show_unknown_attempt_fails_clearly(db_url: str) -> None:
    out = CliRunner().invoke(app, ["calls", "show", "999999", "--json"])
    assert out.exit_code == 1
    assert "no call attempt with id 999999" in json.loads(out.output)["error"]


def test_render_is_tolerant() -> None:
    assert transcript_items(None) == [] and transcript_items("junk") == []
    assert render_item({"speaker": "patient", "content": None}) == "patient: [silence]"
    assert render_item({"role": "user", "dtmf": "1", "at": 1.5}) == "[   1.5s] patient: [keypad 1]"
