"""Closing call attempts and moving them forward: the one place attempt results reach the appointment.

The agent (call end), the dispatch task (permanent LiveKit errors) and the reaper (lost attempts) all
finish attempts here, so the retry policy is applied exactly once per attempt, and a late writer (a
reaper racing a call that did end, a webhook after the agent) never overwrites a final outcome.
The caller owns the transaction and commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from clinic import dnc, events
from clinic.appointments import service as appointments
from clinic.appointments.models import Attempt, Outcome, Status
from clinic.retry_policy import AppointmentState, ClinicPolicy, decide

# Decisions the patient took on the call itself: they win even over a status someone else settled meanwhile.
_PATIENT_DECISIONS = frozenset({Outcome.CONFIRMED, Outcome.RESCHEDULED, Outcome.CANCELLED})

STATUS_ORDER = {"planned": 0, "dispatched": 1, "dialing": 2, "in_call": 3, "ended": 4}
# The column `mark_attempt` stamps with `now` when the caller gives no explicit time.
_STATUS_TIMESTAMP = {"dispatched": "dispatched_at", "dialing": "dial_started_at", "in_call": "answered_at"}
_MARK_COLUMNS = frozenset({"dispatched_at", "dial_started_at", "answered_at", "deadline_at", "dispatch_id",
                           "sip_call_id", "room_name"})
_FINISH_FIELDS = frozenset({"transcript", "summary", "usage", "cost_usd", "duration_seconds", "sip_status_code",
                            "sip_status", "error", "sip_call_id", "answered_at", "dial_started_at"})
_JSON_FIELDS = frozenset({"transcript", "usage"})


class AttemptNotFound(LookupError):
    pass


def finish_attempt(conn: psycopg.Connection[Any], attempt_id: int, outcome: Outcome | str, *, now: datetime,
                   fields: dict[str, Any] | None = None) -> Attempt:
    """End the attempt with `outcome` and apply the retry policy to its appointment; idempotent.

    Returns the stored attempt. If the attempt already had an outcome nothing changes (not even
    `fields`): the first writer wins.
    """
    if outcome not in set(Outcome):
        raise ValueError(f"outcome {outcome!r} is not one of {sorted(o.value for o in Outcome)}")
    fields = dict(fields or {})
    unknown = set(fields) - _FINISH_FIELDS
    if unknown:
        raise ValueError(f"finish_attempt fields not allowed: {sorted(unknown)}")

    outcome = Outcome(outcome)
    attempt = appointments.get_attempt(conn, attempt_id, for_update=True)
    if attempt is None:
        raise AttemptNotFound(f"no call attempt with id {attempt_id}")
    if attempt.outcome is not None:
        return attempt

    sets = ["status = 'ended'", "outcome = %s", "ended_at = %s", "updated_at = %s"]
    params: list[Any] = [outcome.value, now, now]
    for key, value in fields.items():
        sets.append(f"{key} = %s")
        params.append(Jsonb(value) if key in _JSON_FIELDS and value is not None else value)
    if "duration_seconds" not in fields and attempt.answered_at is not None:
        sets.append("duration_seconds = %s")
        params.append(max(0.0, (now - attempt.answered_at).total_seconds()))
    params.append(attempt_id)
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"UPDATE call_attempts SET {', '.join(sets)} WHERE id = %s RETURNING *", params).fetchone()
        assert row is not None
        clinic = cur.execute("SELECT * FROM clinics WHERE id = %s", (attempt.clinic_id,)).fetchone()
    ended = Attempt.from_row(row)

    appt = appointments.get_appointment(conn, attempt.appointment_id, for_update=True)
    assert appt is not None and clinic is not None
    state = AppointmentState(starts_at=appt.starts_at, attempts_count=appt.attempts_count,
                             voicemail_left=appt.voicemail_left, callback_at=appt.callback_at, status=appt.status)
    decision = decide(outcome, attempt.attempt_number, state, ClinicPolicy.from_clinic_row(clinic), now)
    result: appointments.Changes = {
        "last_outcome": outcome, "voicemail_left": decision.voicemail_left,
        "attempts_count": appt.attempts_count + (1 if decision.counts_as_attempt else 0)}
    if appt.settled and appt.status != decision.status and outcome not in _PATIENT_DECISIONS:
        # Settled by someone else (staff, an agent tool in this call): record the result, keep the status.
        appointments.update(conn, appt.id, {**result, "next_attempt_at": None}, now=now)
    else:
        appointments.transition(conn, appt.id, Status(decision.status), actor="dialer", reason=decision.reason,
                                now=now, changes={**result, "next_attempt_at": decision.next_attempt_at},
                                event={"attempt_id": attempt_id, "outcome": outcome.value})
    events.record(conn, kind="call_attempt.ended", actor="dialer", clinic_id=attempt.clinic_id,
                  subject_type="call_attempt", subject_id=attempt_id,
                  data={"outcome": outcome.value, "appointment_id": appt.id, "decision": decision.reason,
                        "appointment_status": decision.status, "sip_status_code": fields.get("sip_status_code")})
    if fields.get("sip_status_code") is not None or str(fields.get("error") or "").startswith(CRASH_PREFIX):
        # Imported here: the breaker lives with the dialer but must see every trunk failure as it lands,
        # whatever outcome it was recorded as (a trunk 403 arrives as `rejected`), and every crashed job.
        from clinic.circuit_breaker import is_crash, is_trunk_failure, trip_if_needed

        if is_trunk_failure(fields.get("sip_status_code")) or is_crash(outcome, fields.get("error")):
            trip_if_needed(conn, attempt.clinic_id, now=now)
    return ended


def quarantine_attempt(conn: psycopg.Connection[Any], attempt_id: int, *, now: datetime, job: str,
                       exc: BaseException) -> dict[str, Any] | None:
    """End an attempt that `finish_attempt` could not end (its row breaks the rules' arithmetic or a
    constraint), without the retry policy: the attempt becomes `lost` and its appointment goes to staff
    (`staff_followup`), so automation stops for that one appointment and nobody is dialed on a guess.
    The caller's job logged and counted the failure; this only makes sure the row stops coming back."""
    row: dict[str, Any] | None = conn.execute(
        "UPDATE call_attempts SET status = 'ended', outcome = 'lost', ended_at = %s, updated_at = %s,"
        " error = %s WHERE id = %s AND outcome IS NULL RETURNING *",
        (now, now, f"quarantined by the {job}: {type(exc).__name__} while ending it; staff must check the"
                   " appointment", attempt_id)).fetchone()
    if row is None:
        return None
    appointments.transition(conn, row["appointment_id"], Status.STAFF_FOLLOWUP, actor="dialer",
                            reason=f"attempt_quarantined_by_{job}", now=now, only_from={Status.PENDING},
                            changes={"last_outcome": Outcome.LOST, "next_attempt_at": None},
                            event={"attempt_id": attempt_id})
    events.record(conn, kind="call_attempt.quarantined", actor="dialer", clinic_id=row["clinic_id"],
                  subject_type="call_attempt", subject_id=attempt_id,
                  data={"job": job, "error": type(exc).__name__, "appointment_id": row["appointment_id"]})
    return row


CRASH_PREFIX = "agent job crashed"


def crash_error(exc: BaseException) -> str:
    """The `error` stored for a job that raised: `agent job crashed: ValueError: clinic x has no sip_trunk_id`
    (first line of the message, phone numbers masked, at most 300 characters). `finish_attempt` feeds the
    circuit breaker with every `failed` attempt whose error starts so."""
    from clinic.phones import mask_in_text

    detail = mask_in_text(str(exc).splitlines()[0] if str(exc) else "")
    return f"{CRASH_PREFIX}: {type(exc).__name__}: {detail}"[:300]


def fail_crashed_attempt(conn: psycopg.Connection[Any], attempt_id: int, exc: BaseException, *,
                         now: datetime) -> Attempt:
    """An agent job raised: end its attempt `failed` with the reason (`crash_error`), apply the retry policy
    (failed backs off and counts, so a clinic that always crashes exhausts its attempts instead of looping
    through `lost` for ever) and feed the circuit breaker, which pauses a clinic whose calls keep crashing.
    First writer wins, as always."""
    return finish_attempt(conn, attempt_id, "failed", now=now, fields={"error": crash_error(exc)})


def end_undialed_on_dnc(conn: psycopg.Connection[Any], attempt_id: int, *, now: datetime, error: str,
                        actor: str) -> Attempt:
    """The number went on a DNC list after the attempt was planned (seen at dispatch or at dial time):
    end the attempt undialed as `lost` (not counted as an attempt) and hand the appointments waiting on
    that number to staff, in the caller's transaction."""
    row = finish_attempt(conn, attempt_id, Outcome.LOST, now=now, fields={"error": error})
    settled = dnc.hand_pending_to_staff(conn, row.clinic_id, row.phone, now, actor=actor)
    events.record(conn, kind="call.not_dialed", actor=actor, clinic_id=row.clinic_id,
                  subject_type="call_attempt", subject_id=attempt_id,
                  data={"reason": "number on DNC", "appointments_to_staff": settled})
    return row


def expect_outcome_by(conn: psycopg.Connection[Any], attempt_id: int, deadline: datetime, *,
                      now: datetime) -> dict[str, Any] | None:
    """Give an in-flight attempt until `deadline` to get its outcome (only ever brings a deadline closer);
    the reaper ends it `lost` after that. Returns the row, or None when the attempt already ended.

    Used when LiveKit says the room closed: the agent's end-of-call write may still be on its way, and
    finishing the attempt `lost` right then would make the real result lose the first-writer race."""
    return conn.execute(
        "UPDATE call_attempts SET deadline_at = LEAST(coalesce(deadline_at, %s), %s), updated_at = %s"
        " WHERE id = %s AND outcome IS NULL RETURNING *", (deadline, deadline, now, attempt_id)).fetchone()


def mark_attempt(conn: psycopg.Connection[Any], attempt_id: int, status: str, *, now: datetime,
                 **timestamps: Any) -> dict[str, Any] | None:
    """Move an in-flight attempt forward to `status` ('dispatched' | 'dialing' | 'in_call').

    Never moves backwards and never touches an ended attempt (returns None then, and when the attempt
    does not exist). Extra keyword columns: dispatched_at, dial_started_at, answered_at, deadline_at,
    dispatch_id, sip_call_id, room_name. The status's own timestamp defaults to `now`.

    When the attempt is already past `status`, its identifiers (dispatch_id, sip_call_id, room_name) are
    still filled in where unset, and None is returned: LiveKit's room_started webhook, or the agent's own
    `dialing`, can arrive before the dispatch task writes `dispatched`, and the dispatch's id is what the
    dispatch check and the engineer on call look the job up by.
    """
    if status not in _STATUS_TIMESTAMP:
        raise ValueError(f"mark_attempt status must be one of {sorted(_STATUS_TIMESTAMP)}, got {status!r}")
    unknown = set(timestamps) - _MARK_COLUMNS
    if unknown:
        raise ValueError(f"mark_attempt columns not allowed: {sorted(unknown)}")
    values = {_STATUS_TIMESTAMP[status]: now, **timestamps}
    sets = ["status = %s", "updated_at = %s"] + [f"{k} = COALESCE({k}, %s)" if k.endswith("_at") else f"{k} = %s"
                                                 for k in values]
    lower = [s for s, rank in STATUS_ORDER.items() if rank < STATUS_ORDER[status]]
    moved = conn.execute(
        f"UPDATE call_attempts SET {', '.join(sets)} WHERE id = %s AND outcome IS NULL AND status = ANY(%s)"
        " RETURNING *",
        [status, now, *values.values(), attempt_id, lower],
    ).fetchone()
    ids = {k: v for k, v in timestamps.items() if not k.endswith("_at") and v is not None}
    if moved is None and ids:
        conn.execute(
            f"UPDATE call_attempts SET {', '.join(f'{k} = COALESCE({k}, %s)' for k in ids)}"
            " WHERE id = %s AND outcome IS NULL", [*ids.values(), attempt_id])
    return moved
