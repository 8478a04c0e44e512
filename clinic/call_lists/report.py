"""The result of one call-list upload: what the CLI prints with `--json`, what the API returns and what
is stored on the `call_lists` row. One shape everywhere so that staff see the same numbers in every place."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from clinic.phones import mask_in_text


class RowError(TypedDict):
    """One problem with one row: `row` is the file's line number (header = 1; a record whose quoted
    field spans lines is numbered by the line it starts on), `column` the canonical column name."""

    row: int
    column: str
    message: str


def row_error(row: int, column: str, message: str) -> RowError:
    """A RowError whose message never repeats a phone number: reports are stored, shown to staff, exported
    as CSV and sent over the API, and a cell echoed into a message (a phone in the wrong column, a typo'd
    number) would otherwise copy the number into every one of them. Runs of 10+ digits are masked."""
    return {"row": row, "column": column, "message": mask_in_text(message)}


class WholeFileError(ValueError):
    """The upload as a whole cannot be imported (not a CSV, a required column missing, too large).

    Nothing was imported; the message says what to do. `call_list_id` is the failed upload's row."""

    def __init__(self, message: str, call_list_id: int | None = None) -> None:
        super().__init__(message)
        self.call_list_id = call_list_id


class ImportReport(BaseModel):
    """Counts of one import. imported = new appointments, updated = changed rows, unchanged = rows
    identical to the last upload of the same appointment, rejected = rows with errors (not imported)."""

    call_list_id: int
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The documented `--json` object: imported, updated, unchanged, rejected, errors, call_list_id."""
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [{"row": e["row"], "column": e["column"], "message": e["message"]} for e in self.errors],
            "call_list_id": self.call_list_id,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)
