"""What happens to an appointment after one call attempt: call again when, or stop with which status.

A pure function of (attempt result, attempt number, appointment, clinic policy, now) so that the rules
that decide how often a patient's phone rings can be read in one place and tested as a table. Both the
agent (at call end, through `clinic.outcomes.finish_attempt`) and the reaper (lost attempts) use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from clinic.calling_calendar import ClinicCalendar

# Outcomes that settle the appointment for good, with the appointment status each one leaves.
FINAL_OUTCOMES: dict[str, str] = {
    "confirmed": "confirmed",
    "rescheduled": "rescheduled",
    "cancelled": "cancelled",
    # A person asked us to stop, said it is the wrong number, or is now talking to staff: automation stops
    # and a human decides what to do with the appointment.
    "opted_out": "staff_followup",
    "wrong_number": "staff_followup",
    "transferred": "staff_followup",
}
# Outcomes after which the same appointment may be tried again.
RETRYABLE_OUTCOMES = frozenset({
    "busy", "no_answer", "rejected", "failed", "hung_up", "not_patient", "callback_requested",
    "voicemail_left", "lost",
})
ALL_OUTCOMES = frozenset(FINAL_OUTCOMES) | RETRYABLE_OUTCOMES
# Appointment statuses where automation has stopped; a late attempt result never reopens them.
SETTLED_STATUSES = frozenset({"confirmed", "rescheduled", "cancelled", "unreachable", "staff_followup"})


class RetryPolicyError(ValueError):
    """A clinic's retry_policy override is invalid; the message names the key."""


@dataclass(frozen=True)
class RetryPolicy:
    """The clinic-tunable numbers. Defaults are the product's defaults (see docs/dialer.md)."""

    max_attempts: int = 3
    busy_minutes: int = 15
    no_answer_minutes: int = 120
    failed_minutes: int = 30          # doubled for each earlier attempt (backoff)
    hung_up_minutes: int = 120
    not_patient_minutes: int = 180
    callback_minutes: int = 120       # when a callback was requested without a time
    lost_minutes: int = 5             # lost attempts are our fault: retried soon and not counted
    max_lost: int = 3                 # ... but only this many times, then staff take over
    min_hours_before_appointment: float = 2.0
    time_of_day_shift_minutes: int = 180  # next-day retries move this far from the last attempt's time

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any] | None) -> RetryPolicy:
        """Build from a clinic's `retry_policy` jsonb; unknown keys and bad values are errors, not ignored."""
        overrides = overrides or {}
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in known:
                raise RetryPolicyError(f"retry_policy.{key}: unknown setting (known: {', '.join(sorted(known))})")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RetryPolicyError(f"retry_policy.{key}: must be a number, got {value!r}")
            if value < 0 or (key == "max_attempts" and not 1 <= value <= 10):
                raise RetryPolicyError(f"retry_policy.{key}: {value!r} is out of range")
            values[key] = value if key == "min_hours_before_appointment" else int(value)
        return cls(**values)


@dataclass(frozen=True)
class AppointmentState:
    starts_at: datetime
    attempts_count: int = 0           # counted attempts before this one
    voicemail_left: bool = False      # a voicemail was left by an earlier attempt
    callback_at: datetime | None = None
    status: str = "pending"


@dataclass(frozen=True)
class ClinicPolicy:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    days: ClinicCalendar | None = None  # None: a voicemail retry is simply a day later
    call_ahead_min: timedelta = timedelta(hours=24)

    @classmethod
    def from_clinic_row(cls, row: dict[str, Any]) -> ClinicPolicy:
        return cls(
            retry=RetryPolicy.from_overrides(row.get("retry_policy")),
            days=ClinicCalendar.from_clinic_row(row),
            call_ahead_min=row.get("call_ahead_min") or timedelta(hours=24),
        )


@dataclass(frozen=True)
class Decision:
    """`status` is the appointment's new status; when it is 'pending', `next_attempt_at` says when."""

    status: str
    next_attempt_at: datetime | None
    counts_as_attempt: bool
    voicemail_left: bool
    reason: str

    @property
    def final(self) -> bool:
        return self.status != "pending"


def _next_day_at_shifted_time(attempt_at: datetime, days: ClinicCalendar, shift: timedelta) -> datetime:
    """The next calling day, at the last attempt's local time moved by `shift` and wrapped into the calling
    hours, so a patient who never picks up at 10:00 is tried at 13:00 instead."""
    tz = days.zone
    local = days.local(attempt_at)
    day = days.next_open_day(local.date())
    start = datetime.combine(day, days.hours_start)
    end = datetime.combine(day, days.hours_end)
    span = end - start
    offset = (datetime.combine(day, local.time().replace(tzinfo=None)) - start + shift)
    if span > timedelta(0):
        offset = offset % span
    return (start + offset).replace(tzinfo=tz)


def decide(outcome: str, attempt_number: int, appointment: AppointmentState, policy: ClinicPolicy,
           now: datetime) -> Decision:
    """The next step for an appointment after attempt `attempt_number` ended with `outcome` at `now`.

    Rules (defaults): busy +15 min, no answer +2 h, failed +30 min doubling per attempt, voicemail left ->
    one more try on the next calling day at a different time of day and never a second voicemail, at most
    3 counted attempts, never within 2 h of the appointment (nor inside the clinic's call-ahead minimum,
    after which the planner could never dial it). Lost attempts are retried soon and not counted.
    """
    if outcome not in ALL_OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    r = policy.retry
    if outcome in FINAL_OUTCOMES:
        return Decision(FINAL_OUTCOMES[outcome], None, True, appointment.voicemail_left, outcome)

    counts = outcome != "lost"
    attempts_after = appointment.attempts_count + (1 if counts else 0)
    voicemail = appointment.voicemail_left or outcome == "voicemail_left"

    if outcome == "lost" and attempt_number - attempts_after >= r.max_lost:
        return Decision("staff_followup", None, False, voicemail, "too_many_lost_attempts")
    if attempts_after >= r.max_attempts:
        return Decision("unreachable", None, counts, voicemail, "attempts_exhausted")
    if appointment.voicemail_left and counts:
        # The one try allowed after a voicemail has now been made.
        return Decision("unreachable", None, counts, voicemail, "voicemail_followup_done")

    if outcome == "voicemail_left":
        if policy.days is None:
            at = now + timedelta(days=1)
        else:
            at = _next_day_at_shifted_time(now, policy.days, timedelta(minutes=r.time_of_day_shift_minutes))
    elif outcome == "busy":
        at = now + timedelta(minutes=r.busy_minutes)
    elif outcome in ("no_answer", "rejected"):
        at = now + timedelta(minutes=r.no_answer_minutes)
    elif outcome == "failed":
        at = now + timedelta(minutes=r.failed_minutes * 2 ** max(0, attempt_number - 1))
    elif outcome == "hung_up":
        at = now + timedelta(minutes=r.hung_up_minutes)
    elif outcome == "not_patient":
        at = now + timedelta(minutes=r.not_patient_minutes)
    elif outcome == "callback_requested":
        at = appointment.callback_at if appointment.callback_at and appointment.callback_at > now else (
            now + timedelta(minutes=r.callback_minutes))
    else:  # lost
        at = now + timedelta(minutes=r.lost_minutes)

    try:
        latest = appointment.starts_at - max(timedelta(hours=r.min_hours_before_appointment), policy.call_ahead_min)
    except OverflowError:  # an appointment at the very start of the calendar (year 1): long past, no retry
        latest = datetime.min.replace(tzinfo=now.tzinfo)
    if at > latest:
        status = "staff_followup" if outcome == "callback_requested" else "unreachable"
        return Decision(status, None, counts, voicemail, "too_close_to_appointment")
    return Decision("pending", at, counts, voicemail, f"retry_after_{outcome}")
