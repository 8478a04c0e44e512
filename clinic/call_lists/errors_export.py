"""Row errors as a CSV file staff open in Excel.

Cells are neutralised against CSV/formula injection: a cell that starts with = + - @ (or a tab or
carriage return, which some spreadsheet programs strip before evaluating) gets a leading apostrophe,
so a patient note like `=HYPERLINK(...)` is shown as text, never run (OWASP's recommendation)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from clinic.phones import mask_in_text

_DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_DANGEROUS_FIRST):
        return "'" + text
    return text


def errors_csv(errors: Iterable[Mapping[str, Any]]) -> str:
    """`row,column,message` CSV (CRLF line ends, UTF-8 BOM-less) with every cell neutralised."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", "column", "message"])
    for e in errors:
        # masked again here: reports stored before messages were masked are exported safely too
        writer.writerow([neutralise(e.get("row")), neutralise(e.get("column")),
                         neutralise(mask_in_text(str(e.get("message") or "")))])
    return out.getvalue()
