"""The status and outcome lists exist once, as the enums in clinic/appointments/models.py; every other copy the
code base needs (the database's CHECK constraints and progress view, the page's TypeScript types and colours,
the call summaries) is checked against them here, so adding a value in one place only fails a test."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg

from agent.call_record import SUMMARIES
from clinic.appointments import typescript
from clinic.appointments.models import AttemptStatus, Outcome, Status
from clinic.retry_policy import FINAL_OUTCOMES, RETRYABLE_OUTCOMES

ROOT = Path(__file__).resolve().parents[2]


def _check_values(conn: psycopg.Connection[Any], table: str, column: str) -> set[str]:
    """The literals a column's CHECK constraint allows, as the migrated database has it (so a later migration
    that alters the CHECK is what counts)."""
    found = conn.execute(
        "SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_attribute a"
        " ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)"
        " WHERE c.conrelid = %s::regclass AND c.contype = 'c' AND a.attname = %s", (table, column)).fetchall()
    defs = [r["def"] for r in found if "ANY" in r["def"] or " IN " in r["def"]]
    assert len(defs) == 1, f"expected one list CHECK on {table}.{column}, found {defs}"
    return set(re.findall(r"'([a-z_]+)'::text", defs[0]))


def test_database_checks_allow_exactly_the_enum_values(conn: psycopg.Connection[Any]) -> None:
    assert _check_values(conn, "appointments", "status") == {s.value for s in Status}
    assert _check_values(conn, "call_attempts", "outcome") == {o.value for o in Outcome}
    assert _check_values(conn, "call_attempts", "status") == {s.value for s in AttemptStatus}


def test_batch_progress_counts_every_status(conn: psycopg.Connection[Any]) -> None:
    columns = {r["column_name"] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'batch_progress'").fetchall()}
    assert {s.value for s in Status} <= columns


def test_the_pages_domain_types_are_generated_from_the_enums() -> None:
    assert typescript.TARGET.read_text() == typescript.render(), (
        "frontend/src/domain.ts is stale: run python -m clinic.appointments.typescript")


def test_the_page_has_a_colour_for_every_outcome_and_no_other() -> None:
    # tsc checks this too (Record<Outcome, string>), but only where the page is built.
    text = (ROOT / "frontend" / "src" / "format.ts").read_text()
    block = text[text.index("OUTCOME_COLORS"):]
    block = block[block.index("{") + 1:block.index("}")]
    assert set(re.findall(r"([a-z_]+):\s*\"#", block)) == {o.value for o in Outcome}


def test_every_outcome_has_a_summary_and_a_retry_rule() -> None:
    assert set(SUMMARIES) == set(Outcome)
    assert set(FINAL_OUTCOMES) | RETRYABLE_OUTCOMES == set(Outcome)
    assert not set(FINAL_OUTCOMES) & RETRYABLE_OUTCOMES
