"""Fixtures for the import tests: a clinic in New York, a pinned clock, and a helper that imports text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from clinic.call_lists import ImportReport, import_call_list

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
HEADER = "external_id,patient_name,phone,appointment_start,duration_minutes,provider,location,timezone,notes"


@pytest.fixture
def clinic(make_clinic: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_clinic("import-test", timezone="America/New_York", state="NY")


@pytest.fixture
def run_import(conn: psycopg.Connection[dict[str, Any]], clinic: dict[str, Any]) -> Callable[..., ImportReport]:
    def _run(content: str | bytes, *, now: datetime = NOW, filename: str = "list.csv", **kw: Any) -> ImportReport:
        data = content.encode() if isinstance(content, str) else content
        return import_call_list(conn, clinic, data, filename=filename, now=now, **kw)

    return _run


def appointments(conn: psycopg.Connection[dict[str, Any]]) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT a.*, p.full_name, p.phone FROM appointments a JOIN patients p ON p.id = a.patient_id"
        " ORDER BY a.external_id").fetchall()
