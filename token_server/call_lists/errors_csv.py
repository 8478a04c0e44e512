"""The row errors of an upload as a CSV staff open in a spreadsheet next to the file they fix."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """Spreadsheets run cells that start like a formula; a hostile CSV must not make ours run one."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render(errors: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", "column", "message"])
    for e in errors:
        writer.writerow([_cell(e.get("row")), _cell(e.get("column")), _cell(e.get("message"))])
    return out.getvalue()
