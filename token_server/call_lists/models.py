"""Request/response shapes of the call-list endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RowErrorOut(BaseModel):
    row: int | None = Field(description="1-based data row in the CSV (header = row 0); null = whole file")
    column: str | None = Field(description="CSV column the error is about, when it is about one")
    message: str


class ImportReportOut(BaseModel):
    call_list_id: int
    imported: int = Field(description="new appointments")
    updated: int = Field(description="appointments whose row changed since the last upload")
    unchanged: int = Field(description="rows identical to the last upload (no-ops)")
    rejected: int = Field(description="rows with errors, not imported; good rows were kept")
    errors: list[RowErrorOut]


class CallListOut(BaseModel):
    id: int
    filename: str
    source: str
    status: str
    failure_reason: str | None
    total_rows: int
    imported: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[RowErrorOut]
    created_at: datetime
    completed_at: datetime | None


class CallListSummary(BaseModel):
    id: int
    filename: str
    status: str
    total_rows: int
    imported: int
    updated: int
    unchanged: int
    rejected: int
    created_at: datetime
