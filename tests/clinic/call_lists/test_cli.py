"""`python -m dialer import-calls` and `call-lists errors`: JSON shape, exit codes, the errors export."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner

from dialer.cli import app
from tests.clinic.call_lists.conftest import HEADER

runner = CliRunner()


@pytest.fixture(autouse=True)
def _unbind_logging() -> Iterator[None]:
    """The CLI points structlog at the runner's stderr, which closes after each invoke."""
    yield
    structlog.reset_defaults()
FUTURE = f"{date.today() + timedelta(days=30):%Y-%m-%d} 14:30"  # the CLI uses the real clock


def _write(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_json_output_shape_and_exit_0_with_row_errors(db_url: str, clinic: dict[str, Any], tmp_path: Path) -> None:
    path = _write(tmp_path, f"{HEADER}\nA1,Ann,2125550142,{FUTURE},,,,,\nA2,Bob,12,{FUTURE},,,,,\n"
                            f'A3,Cy,2125550144,{FUTURE},,,,,"=HYPERLINK(""x"")"\nA4,=cmd,,{FUTURE},,,,,\n')
    result = runner.invoke(app, ["import-calls", str(path), "--clinic", clinic["slug"], "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out) == ["imported", "updated", "unchanged", "rejected", "errors", "call_list_id"]
    assert (out["imported"], out["updated"], out["unchanged"], out["rejected"]) == (2, 0, 0, 2)
    assert out["errors"][0] == {"row": 3, "column": "phone", "message": out["errors"][0]["message"]}
    assert set(out["errors"][0]) == {"row", "column", "message"}

    again = runner.invoke(app, ["import-calls", str(path), "--clinic", clinic["slug"], "--json"])
    assert json.loads(again.stdout)["unchanged"] == 2

    export = tmp_path / "errors.csv"
    result = runner.invoke(app, ["call-lists", "errors", str(out["call_list_id"]), "--output", str(export)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(export.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0] == ["row", "column", "message"]
    assert [r[:2] for r in rows[1:]] == [["3", "phone"], ["5", "phone"]]


def test_errors_export_neutralises_formula_cells(db_url: str, clinic: dict[str, Any], conn: Any) -> None:
    conn.execute("INSERT INTO call_lists (clinic_id, filename, status, errors) VALUES (%s, 'x.csv', 'completed',"
                 " '[{\"row\": 2, \"column\": \"notes\", \"message\": \"=2+3\"}, "
                 "{\"row\": 3, \"column\": \"@x\", \"message\": \"-1\"}]') RETURNING id", (clinic["id"],))
    list_id = conn.execute("SELECT max(id) AS id FROM call_lists").fetchone()["id"]
    conn.commit()
    result = runner.invoke(app, ["call-lists", "errors", str(list_id)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["row,column,message", "2,notes,'=2+3", "3,'@x,'-1"]


def test_whole_file_failure_exits_non_zero_with_what_to_do(db_url: str, clinic: dict[str, Any],
                                                           tmp_path: Path) -> None:
    path = _write(tmp_path, "Name,Comments\nAnn,hi\n")
    result = runner.invoke(app, ["import-calls", str(path), "--clinic", clinic["slug"], "--json"])
    assert result.exit_code != 0
    message = json.loads(result.stdout)["error"]
    assert "missing required column" in message and "Rename the columns" in message
    assert "nothing was imported" in message

    human = runner.invoke(app, ["import-calls", str(path), "--clinic", clinic["slug"]])
    assert human.exit_code != 0 and "missing required column" in human.stderr


def test_unknown_clinic_and_missing_file(db_url: str, clinic: dict[str, Any], tmp_path: Path) -> None:
    path = _write(tmp_path, f"{HEADER}\n")
    result = runner.invoke(app, ["import-calls", str(path), "--clinic", "nope", "--json"])
    assert result.exit_code != 0 and "no clinic with slug 'nope'" in json.loads(result.stdout)["error"]
    result = runner.invoke(app, ["import-calls", str(tmp_path / "missing.csv"), "--clinic", clinic["slug"]])
    assert result.exit_code != 0 and "cannot read" in result.stderr


def test_call_lists_list(db_url: str, clinic: dict[str, Any], tmp_path: Path) -> None:
    path = _write(tmp_path, f"{HEADER}\nA1,Ann,2125550142,{FUTURE},,,,,\n")
    runner.invoke(app, ["import-calls", str(path), "--clinic", clinic["slug"]])
    result = runner.invoke(app, ["call-lists", "list", "--clinic", clinic["slug"], "--json"])
    listed = json.loads(result.stdout)["call_lists"]
    assert [(c["filename"], c["status"], c["imported"]) for c in listed] == [("list.csv", "completed", 1)]


def test_real_entry_point_prints_only_json_on_stdout(db_url: str, clinic: dict[str, Any], tmp_path: Path) -> None:
    path = _write(tmp_path, f"{HEADER}\nA1,Ann,2125550142,{FUTURE},,,,,\n")
    proc = subprocess.run([sys.executable, "-m", "dialer", "import-calls", str(path), "--clinic", clinic["slug"],
                           "--json"], capture_output=True, text=True, env={**os.environ, "DATABASE_URL": db_url},
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["imported"] == 1
