"""Errors CSV: formula-looking cells are neutralised (CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from clinic.call_lists.errors_export import errors_csv, neutralise


@pytest.mark.parametrize("value", ["=1+1", "+1 212 555", "-2", "@SUM(A1)", "\tx", "\rx",
                                   '=HYPERLINK("http://evil","click")'])
def test_dangerous_first_characters_are_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["phone is empty", "José", "12", "", "a=b"])
def test_ordinary_cells_are_left_alone(value: str) -> None:
    assert neutralise(value) == value


def test_errors_csv_round_trips_with_neutralised_cells() -> None:
    errors = [{"row": 3, "column": "notes", "message": "=cmd|' /C calc'!A0"},
              {"row": 4, "column": "phone", "message": 'phone: not a "valid", number\nsecond line'}]
    rows = list(csv.reader(io.StringIO(errors_csv(errors), newline="")))
    assert rows[0] == ["row", "column", "message"]
    assert rows[1] == ["3", "notes", "'=cmd|' /C calc'!A0"]
    assert rows[2] == ["4", "phone", 'phone: not a "valid", number\nsecond line']
