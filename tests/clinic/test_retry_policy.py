"""The retry policy as a table: each row is one attempt result and what must happen next."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from clinic.calling_calendar import ClinicCalendar
from clinic.retry_policy import (
    AppointmentState,
    ClinicPolicy,
    RetryPolicy,
    RetryPolicyError,
    decide,
)

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # Tuesday 11:00 in New York (EDT)
STARTS = NOW + timedelta(days=3)
DAYS = ClinicCalendar("America/New_York", time(9), time(19), frozenset({7}), frozenset({date(2026, 3, 11)}))
POLICY = ClinicPolicy(days=DAYS)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def appt(attempts: int = 0, voicemail: bool = False, starts: datetime = STARTS, callback: datetime | None = None):
    return AppointmentState(starts_at=starts, attempts_count=attempts, voicemail_left=voicemail, callback_at=callback)


@pytest.mark.parametrize(("outcome", "n", "state", "status", "next_at", "counts"), [
    ("confirmed", 1, appt(), "confirmed", None, True),
    ("rescheduled", 1, appt(), "rescheduled", None, True),
    ("cancelled", 2, appt(1), "cancelled", None, True),
    ("opted_out", 1, appt(), "staff_followup", None, True),
    ("wrong_number", 1, appt(), "staff_followup", None, True),
    ("transferred", 1, appt(), "staff_followup", None, True),
    ("busy", 1, appt(), "pending", NOW + 15 * M, True),
    ("no_answer", 1, appt(), "pending", NOW + 2 * H, True),
    ("rejected", 1, appt(), "pending", NOW + 2 * H, True),
    ("failed", 1, appt(), "pending", NOW + 30 * M, True),
    ("failed", 2, appt(1), "pending", NOW + 60 * M, True),          # backoff doubles
    ("hung_up", 1, appt(), "pending", NOW + 2 * H, True),
    ("callback_requested", 1, appt(callback=NOW + 5 * H), "pending", NOW + 5 * H, True),
    ("callback_requested", 1, appt(), "pending", NOW + 2 * H, True),
    ("no_answer", 3, appt(2), "unreachable", None, True),          # 3 attempts at most
    ("busy", 3, appt(2), "unreachable", None, True),
    # Voicemail: next calling day (Wed 11th is closed -> Thu 12th), at 11:00 + 3 h = 14:00 EDT.
    ("voicemail_left", 1, appt(starts=NOW + timedelta(days=4)), "pending",
     datetime(2026, 3, 12, 18, 0, tzinfo=UTC), True),
    # ... and the one try after a voicemail is the last one.
    ("no_answer", 2, appt(1, voicemail=True), "unreachable", None, True),
    # Never within 24 h (the call-ahead minimum, stricter than 2 h) of the appointment.
    ("no_answer", 1, appt(starts=NOW + 25 * H), "unreachable", None, True),
    ("busy", 1, appt(starts=NOW + 24 * H + 16 * M), "pending", NOW + 15 * M, True),
    ("callback_requested", 1, appt(starts=NOW + 25 * H), "staff_followup", None, True),
    # Lost attempts are not counted, retried soon, but not forever.
    ("lost", 1, appt(), "pending", NOW + 5 * M, False),
    ("lost", 3, appt(2), "pending", NOW + 5 * M, False),
    ("lost", 3, appt(0), "staff_followup", None, False),
])
def test_decision_table(outcome, n, state, status, next_at, counts) -> None:
    d = decide(outcome, n, state, POLICY, NOW)
    assert (d.status, d.next_attempt_at, d.counts_as_attempt) == (status, next_at, counts)


def test_voicemail_retry_wraps_into_calling_hours_at_a_different_time() -> None:
    late = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)  # 18:30 EDT
    d = decide("voicemail_left", 1, appt(starts=late + timedelta(days=4)), POLICY, late)
    # 18:30 + 3 h = 21:30 -> wraps 2.5 h past 19:00 -> 11:30 on Thursday (Wednesday closed).
    assert d.next_attempt_at == datetime(2026, 3, 12, 15, 30, tzinfo=UTC)
    assert d.voicemail_left


def test_retry_moves_to_a_different_time_of_day_across_dst() -> None:
    sat = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)  # Sat 10:00 EST; Sunday closed; DST starts Sunday
    d = decide("voicemail_left", 1, appt(starts=sat + timedelta(days=5)), POLICY, sat)
    assert d.next_attempt_at == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # Monday 13:00 EDT


def test_min_hours_before_appointment_applies_when_call_ahead_is_shorter() -> None:
    policy = ClinicPolicy(retry=RetryPolicy(min_hours_before_appointment=2), days=DAYS, call_ahead_min=H)
    assert decide("busy", 1, appt(starts=NOW + 2 * H + 14 * M), policy, NOW).status == "unreachable"
    assert decide("busy", 1, appt(starts=NOW + 2 * H + 16 * M), policy, NOW).status == "pending"


def test_clinic_overrides_are_validated_by_name() -> None:
    assert RetryPolicy.from_overrides({"busy_minutes": 5, "max_attempts": 2}).busy_minutes == 5
    with pytest.raises(RetryPolicyError, match=r"retry_policy\.bussy_minutes"):
        RetryPolicy.from_overrides({"bussy_minutes": 5})
    with pytest.raises(RetryPolicyError, match=r"retry_policy\.max_attempts"):
        RetryPolicy.from_overrides({"max_attempts": 0})
    with pytest.raises(RetryPolicyError, match="must be a number"):
        RetryPolicy.from_overrides({"busy_minutes": "soon"})


def test_unknown_outcome_and_naive_time_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown outcome"):
        decide("answered", 1, appt(), POLICY, NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        decide("busy", 1, appt(), POLICY, NOW.replace(tzinfo=None))
