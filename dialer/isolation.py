"""One bad row never stops a beat job for everybody else.

The reaper, the planner and the batch builder each work through many rows (attempts, clinics,
appointments) in one pass. Before this module, one row that made the code raise (a test appointment in
year 1 overflowing the retry arithmetic, a zone name the database holds but zoneinfo does not know) rolled
back the whole pass, every minute, for every clinic. Now each row runs inside its own savepoint: a failure
rolls back that row only, is logged at ERROR (job, row id, exception type: never the message, which may
quote a phone number or a name), is counted, is recorded as a `beat.row_failed` audit event (which
`/metrics` exports as `clinic_dialer_beat_row_failures`, so an alert can fire on it), and the pass goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg

from clinic import events
from clinic.logs import get_logger

log = get_logger("dialer.isolation")

T = TypeVar("T")
R = TypeVar("R")

ROW_FAILED = "beat.row_failed"


@dataclass
class Isolated:
    """What one pass did: the results of the rows that worked, and the ids of those that failed."""

    job: str
    results: list[Any] = field(default_factory=list)
    failed: list[Any] = field(default_factory=list)


def report_failure(conn: psycopg.Connection[Any] | None, job: str, row_id: Any, exc: BaseException, *,
                   clinic_id: int | None = None, subject_type: str | None = None) -> None:
    """Log (ERROR, no PHI) and, when a connection is given, record the `beat.row_failed` event."""
    log.error("beat.row_failed", job=job, row_id=row_id, clinic_id=clinic_id, error=type(exc).__name__)
    if conn is None:
        return
    try:
        with conn.transaction():
            events.record(conn, kind=ROW_FAILED, actor="dialer", clinic_id=clinic_id, subject_type=subject_type,
                          subject_id=row_id if isinstance(row_id, int) else None,
                          data={"job": job, "error": type(exc).__name__})
    except psycopg.Error as record_exc:  # the audit write must not turn one bad row into a failed pass
        log.error("beat.row_failed_not_recorded", job=job, row_id=row_id, error=type(record_exc).__name__)


def each_isolated(conn: psycopg.Connection[Any], job: str, rows: Iterable[T], work: Callable[[T], R], *,
                  row_id: Callable[[T], Any], clinic_id: Callable[[T], int | None] = lambda _: None,
                  subject_type: str | None = None,
                  on_failure: Callable[[T, BaseException], object] | None = None) -> Isolated:
    """Run `work(row)` for every row, each in a savepoint of the caller's transaction.

    A row that raises is rolled back alone and reported; then `on_failure(row, exc)` runs (in its own
    savepoint) so the job can quarantine the row (e.g. end a poisoned attempt without the retry policy)
    instead of meeting it again on every pass."""
    done = Isolated(job)
    for row in rows:
        try:
            with conn.transaction():
                done.results.append(work(row))
        except Exception as exc:
            done.failed.append(row_id(row))
            report_failure(conn, job, row_id(row), exc, clinic_id=clinic_id(row), subject_type=subject_type)
            if on_failure is not None:
                try:
                    with conn.transaction():
                        on_failure(row, exc)
                except Exception as again:
                    log.error("beat.row_quarantine_failed", job=job, row_id=row_id(row), error=type(again).__name__)
    return done
