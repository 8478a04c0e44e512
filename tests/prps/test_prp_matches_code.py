"""The PRP must stay true to the code: outcomes, statuses, retry defaults and guardrail defaults it
states are read back from the code and the schema, so a change to either fails here until the PRP
is updated in the same commit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg

from clinic.appointments.models import SETTLED_STATUSES
from clinic.retry_policy import ALL_OUTCOMES, RetryPolicy

PRP_FILE = Path(__file__).resolve().parents[2] / "PRPs" / "appointment_confirmation_dialer.md"
PRP = " ".join(PRP_FILE.read_text().split())  # whitespace-normalised: line breaks do not matter


def listed_after(label: str) -> set[str]:
    """The comma-separated words after `label` up to the next period."""
    m = re.search(re.escape(label) + r"\s*(.+?)\.\s", re.sub(r"\s*\([^)]*\)", "", PRP))
    assert m, f"the PRP has no '{label}' list"
    return {w.strip() for w in m.group(1).split(",")}


def test_outcomes_are_the_codes_outcomes() -> None:
    assert listed_after("Outcomes:") == set(ALL_OUTCOMES)


def test_appointment_statuses_are_the_schemas() -> None:
    assert listed_after("Appointment statuses:") == set(SETTLED_STATUSES) | {"pending"}


def test_retry_defaults_are_the_codes_defaults() -> None:
    p = RetryPolicy()

    def span(minutes: int) -> str:
        return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"

    for phrase in (f"at most {p.max_attempts} attempts", f"busy +{span(p.busy_minutes)}",
                   f"no answer +{span(p.no_answer_minutes)}", f"failed +{span(p.failed_minutes)} doubling",
                   f"hung up +{span(p.hung_up_minutes)}", f"not the patient +{span(p.not_patient_minutes)}",
                   f"callback +{span(p.callback_minutes)}",
                   f"shift the time of day by {span(p.time_of_day_shift_minutes)}",
                   f"within {p.min_hours_before_appointment:g} h of the appointment",
                   f"retried after {span(p.lost_minutes)}", f"at most {p.max_lost} times"):
        assert phrase in PRP, f"PRP does not say {phrase!r} (the retry policy's default)"


def test_guardrail_defaults_are_the_schemas(conn: psycopg.Connection[dict[str, Any]]) -> None:
    for column in ("max_calls_per_number_per_day", "max_calls_per_number_per_week"):
        row = conn.execute("SELECT column_default FROM information_schema.columns"
                           " WHERE table_name = 'clinics' AND column_name = %s", (column,)).fetchone()
        assert row is not None
        assert f"`{column}` (default {row['column_default']})" in PRP
