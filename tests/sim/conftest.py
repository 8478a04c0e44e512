"""Fixtures for end-to-end simulated runs: a small call list with one row per persona, and the sample
clinic in the test's own database."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sim.seed import ensure_sample_clinic

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "call_list.csv"


@pytest.fixture
def persona_list(tmp_path: Path) -> Path:
    """The first sample row of each persona (14 rows), keeping the sample's messy formats."""
    text = SAMPLE.read_text()
    reader = csv.DictReader(io.StringIO(text))
    seen: set[str] = set()
    rows = []
    for row in reader:
        if row["persona"] not in seen:
            seen.add(row["persona"])
            rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "personas.csv"
    path.write_text(out.getvalue())
    return path


@pytest.fixture
def sample_clinic(conn: Any) -> dict[str, Any]:
    clinic = ensure_sample_clinic(conn, date(2027, 1, 10), days=16)
    conn.commit()
    return clinic
