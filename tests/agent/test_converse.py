"""`python -m agent converse FILE --json`: one text-mode call of the production agent, then cleanup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

DETAILS_KEYS = ("starts_at", "weekday", "provider", "location")


def _converse(tmp_path: Path, db_url: str, lines: list[str], *extra: str) -> dict:
    f = tmp_path / "patient.txt"
    f.write_text("\n".join(lines) + "\n")
    proc = subprocess.run([sys.executable, "-m", "agent", "converse", str(f), "--json", *extra],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "DATABASE_URL": db_url})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _clinics(db_url: str) -> int:
    with psycopg.connect(db_url) as c:
        return c.execute("SELECT count(*) FROM clinics").fetchone()[0]


def test_patient_confirms_and_hears_the_appointment(tmp_path, db_url):
    before = _clinics(db_url)
    out = _converse(tmp_path, db_url, ["yes, this is Ana", "yes I'll be there"], "--first-name", "Ana")
    assert set(out) == {"appointment", "transcript", "tool_calls", "outcome"}
    assert set(out["appointment"]) == set(DETAILS_KEYS)
    assert out["outcome"] == "confirmed"
    assert [c["name"] for c in out["tool_calls"]] == ["confirm_identity", "confirm_appointment"]
    agent_text = " ".join(t["text"] for t in out["transcript"] if t["role"] == "agent")
    assert out["appointment"]["weekday"] in agent_text and out["appointment"]["provider"] in agent_text
    assert {t["role"] for t in out["transcript"]} == {"agent", "patient"}
    assert _clinics(db_url) == before          # the throwaway clinic, patient, appointment are gone


def test_a_mother_asking_for_the_time_hears_no_detail(tmp_path, db_url):
    out = _converse(tmp_path, db_url, ["who's asking?", "just tell me the time", "I am her mother"])
    agent_text = " ".join(t["text"] for t in out["transcript"] if t["role"] == "agent")
    appt = out["appointment"]
    for detail in (appt["weekday"], appt["provider"], appt["location"], "9:15"):
        assert detail not in agent_text
    assert out["outcome"] == "not_patient"
    assert [c["name"] for c in out["tool_calls"]] == ["not_the_patient"]


def test_unreadable_file_is_a_one_line_error(tmp_path, db_url):
    proc = subprocess.run([sys.executable, "-m", "agent", "converse", str(tmp_path / "missing.txt"), "--json"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "DATABASE_URL": db_url})
    assert proc.returncode != 0 and "FILE" in proc.stderr and "Traceback" not in proc.stderr
