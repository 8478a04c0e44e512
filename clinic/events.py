"""The audit trail: one row per thing done to a clinic's data, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def record(
    conn: psycopg.Connection[Any],
    *,
    kind: str,
    actor: str,
    clinic_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO events (clinic_id, actor, kind, subject_type, subject_id, data)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (clinic_id, actor, kind, subject_type, subject_id, Jsonb(data or {})),
    )
