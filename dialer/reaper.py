"""Attempts that stopped moving become `lost`, and their appointment is retried by the retry policy.

Redis and LiveKit may forget a task or a job at any moment; Postgres still has the attempt. Deadlines:
- planned but never dispatched (the dispatch task was lost) within PLANNED_TIMEOUT;
- dispatched but no agent picked it up (no dialing) within DISPATCH_TIMEOUT (2 min);
- dialing / in call for longer than ring timeout + the clinic's maximum call duration + MARGIN;
- past its own `deadline_at` (set when LiveKit reports the room closed, plus a grace period for the
  agent's end-of-call write; or a test call's deadline).
`finish_attempt` is first-writer-wins, so a call that ends while being reaped keeps its real outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg

from clinic.outcomes import finish_attempt, quarantine_attempt
from clinic.settings import get_settings
from dialer.isolation import each_isolated

PLANNED_TIMEOUT = timedelta(minutes=10)
DISPATCH_TIMEOUT = timedelta(minutes=2)
MARGIN = timedelta(minutes=2)

_STUCK = """
SELECT a.id, a.clinic_id, a.status, (a.deadline_at IS NOT NULL AND a.deadline_at <= %(now)s) AS past_deadline
FROM call_attempts a JOIN clinics c ON c.id = a.clinic_id
WHERE a.outcome IS NULL AND (cardinality(%(only)s::text[]) = 0 OR c.slug = ANY(%(only)s)) AND (
      (a.deadline_at IS NOT NULL AND a.deadline_at <= %(now)s)
   OR (a.status = 'planned' AND a.planned_at < %(now)s - %(planned)s)
   OR (a.status = 'dispatched' AND coalesce(a.dispatched_at, a.planned_at) < %(now)s - %(dispatch)s)
   OR (a.status IN ('dialing', 'in_call')
       AND coalesce(a.answered_at, a.dial_started_at, a.dispatched_at, a.planned_at)
           < %(now)s - make_interval(secs => c.ring_timeout_seconds + c.max_call_seconds) - %(margin)s))
ORDER BY a.id
FOR UPDATE OF a SKIP LOCKED
LIMIT 500
"""


def reap(conn: psycopg.Connection[Any], now: datetime) -> list[int]:
    """Mark stuck attempts lost (in the caller's transaction). Returns the ids it ended.

    Each attempt is finished in its own savepoint: one that cannot be finished (its appointment's data
    breaks the retry arithmetic, say) is logged, counted and quarantined (`quarantine_attempt`: ended
    `lost`, appointment to staff) instead of rolling back every other clinic's stuck attempts."""
    rows = conn.execute(_STUCK, {"now": now, "planned": PLANNED_TIMEOUT, "dispatch": DISPATCH_TIMEOUT,
                                 "margin": MARGIN, "only": get_settings().dialer_clinics}).fetchall()

    def finish(r: dict[str, Any]) -> int:
        error = (f"reaped: no outcome by its deadline (room closed or call over time), was {r['status']}"
                 if r["past_deadline"] else f"reaped: stuck in {r['status']}")
        finish_attempt(conn, r["id"], "lost", now=now, fields={"error": error})
        return int(r["id"])

    done = each_isolated(conn, "reaper", rows, finish, row_id=lambda r: r["id"], clinic_id=lambda r: r["clinic_id"],
                         subject_type="call_attempt",
                         on_failure=lambda r, exc: quarantine_attempt(conn, r["id"], now=now, job="reaper", exc=exc))
    return done.results + done.failed
