"""Stop dialing a clinic whose SIP trunk is failing, instead of burning through its patients' attempts.

When at least half of the clinic's last 20 dial results are trunk-side failures (SIP 5xx, or 403/404
answered by the trunk itself) the clinic is paused with a visible reason; staff resume it with
`python -m dialer resume --clinic S` once the trunk is fixed. Results from before the last resume do
not count again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg

from clinic import events
from clinic.outcomes import CRASH_PREFIX

WINDOW = 20
TRIP_FRACTION = 0.5
TRUNK_FAILURE_CODES = frozenset({403, 404})


def is_trunk_failure(sip_status_code: int | None) -> bool:
    """A failure of the trunk (or its configuration), not of the patient's phone: SIP 5xx, and 403/404
    answered by the trunk. Judged by the status code alone, whatever outcome the caller mapped it to (the
    agent records a trunk 403 as `rejected`). Busy (486), no answer (480/408) and declined (603) are the
    patient's line working normally."""
    if sip_status_code is None:
        return False
    return 500 <= sip_status_code < 600 or sip_status_code in TRUNK_FAILURE_CODES


def is_crash(outcome: str, error: str | None) -> bool:
    """An agent job that raised (clinic.outcomes.fail_crashed_attempt): a fault on our side or the clinic's
    set-up (no trunk), never the patient's phone, so it counts like a trunk failure."""
    return outcome == "failed" and (error or "").startswith(CRASH_PREFIX)


def should_trip(results: Iterable[tuple[str, int | None] | tuple[str, int | None, str | None]], window: int = WINDOW,
                fraction: float = TRIP_FRACTION) -> tuple[bool, int]:
    """(trip?, number of failures) over the most recent `window` (outcome, sip code[, error]) results, newest
    first. Failures: trunk failures by SIP code, and crashed agent jobs."""
    recent = list(results)[:window]
    failures = sum(1 for r in recent if is_trunk_failure(r[1]) or (len(r) > 2 and is_crash(r[0], r[2])))
    return failures >= window * fraction, failures


def trip_if_needed(conn: psycopg.Connection[Any], clinic_id: int, *, now: datetime) -> bool:
    """Pause the clinic if its recent results say the trunk is failing. Returns True if it paused it now."""
    rows = conn.execute(
        "SELECT a.outcome, a.sip_status_code, a.error FROM call_attempts a JOIN clinics c ON c.id = a.clinic_id"
        " WHERE a.clinic_id = %s AND a.outcome IS NOT NULL AND a.outcome <> 'lost'"
        " AND (c.resumed_at IS NULL OR a.ended_at > c.resumed_at)"
        " ORDER BY a.ended_at DESC, a.id DESC LIMIT %s",
        (clinic_id, WINDOW),
    ).fetchall()
    trip, failures = should_trip([(r["outcome"], r["sip_status_code"], r["error"]) for r in rows])
    if not trip:
        return False
    reason = (f"circuit breaker: {failures} of the last {len(rows)} dial results were trunk failures"
              " (SIP 5xx/403/404) or crashed agent jobs; check the SIP trunk (`python -m dialer clinic check`)"
              " and the agent's log, then run `python -m dialer resume`")
    paused = conn.execute(
        "UPDATE clinics SET paused_at = %s, paused_reason = %s, updated_at = %s WHERE id = %s AND paused_at IS NULL",
        (now, reason, now, clinic_id),
    ).rowcount == 1
    if paused:
        events.record(conn, kind="clinic.paused", actor="dialer", clinic_id=clinic_id, subject_type="clinic",
                      subject_id=clinic_id, data={"reason": "circuit_breaker", "failures": failures})
    return paused
