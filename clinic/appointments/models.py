"""Appointment domain types: the status and outcome vocabularies and the typed records read from Postgres.

The enums are the single definition of each list. `StrEnum` members are `str`, so they go into SQL
parameters, JSON and comparisons with stored text unchanged; a stored value that is not a member fails
loudly in `from_row` instead of flowing on as a typo.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Self


class Status(StrEnum):
    """Where an appointment stands (`appointments.status`)."""

    PENDING = "pending"                 # to be confirmed: the planner may call
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"         # moved by the patient on a call, and so also confirmed
    CANCELLED = "cancelled"
    UNREACHABLE = "unreachable"         # attempts exhausted (or too close to the appointment to try again)
    STAFF_FOLLOWUP = "staff_followup"   # automation stopped; a person at the clinic takes over


class Outcome(StrEnum):
    """How one call attempt ended (`call_attempts.outcome`, `appointments.last_outcome`)."""

    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    CALLBACK_REQUESTED = "callback_requested"
    NOT_PATIENT = "not_patient"
    WRONG_NUMBER = "wrong_number"
    OPTED_OUT = "opted_out"
    TRANSFERRED = "transferred"
    VOICEMAIL_LEFT = "voicemail_left"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    REJECTED = "rejected"
    FAILED = "failed"
    HUNG_UP = "hung_up"
    LOST = "lost"                       # our side lost track of the call (reaper, crash): retried soon


class AttemptStatus(StrEnum):
    """The progress of one call attempt (`call_attempts.status`); only ever moves forward."""

    PLANNED = "planned"
    DISPATCHED = "dispatched"
    DIALING = "dialing"
    IN_CALL = "in_call"
    ENDED = "ended"


# Statuses where automation has stopped; a late attempt result never reopens them.
SETTLED_STATUSES: frozenset[Status] = frozenset(Status) - {Status.PENDING}
# The patient will come: a moved appointment was agreed on the call, so it counts as confirmed.
CONFIRMED_STATUSES: frozenset[Status] = frozenset({Status.CONFIRMED, Status.RESCHEDULED})


def _values(cls: type[Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """The row's value for every field of `cls`. A missing column is an error naming it: a record built from a
    partial SELECT would silently carry a default where the database has a value."""
    missing = [f.name for f in fields(cls) if f.name not in row]
    if missing:
        raise KeyError(f"{cls.__name__} row lacks column(s) {', '.join(missing)}: load it with SELECT *")
    return {f.name: row[f.name] for f in fields(cls)}


def _json_object(value: Any) -> dict[str, Any]:
    """A jsonb object column; one written as a JSON string (an old tool did) is decoded too."""
    if isinstance(value, str):
        value = json.loads(value)
    return dict(value or {})


@dataclass(frozen=True, slots=True)
class Clinic:
    """A `clinics` row. Defaults are the schema's, for records built in tests and tools."""

    id: int
    slug: str
    name: str
    timezone: str
    country: str = "US"
    us_state: str | None = None
    calling_hours_start: time = time(9)
    calling_hours_end: time = time(19)
    closed_weekdays: tuple[int, ...] = (7,)   # ISO weekdays (1 = Monday .. 7 = Sunday)
    closed_dates: tuple[date, ...] = ()
    batch_time: time = time(2)
    call_ahead_min: timedelta = timedelta(hours=24)
    call_ahead_max: timedelta = timedelta(hours=72)
    caller_id: str | None = None
    sip_trunk_id: str | None = None
    transfer_number: str | None = None
    callback_number: str | None = None
    max_concurrent_calls: int = 5
    calls_per_second: Decimal = Decimal(1)
    max_call_seconds: int = 600
    ring_timeout_seconds: int = 30
    retry_policy: dict[str, Any] = field(default_factory=dict)
    guardrails_enabled: bool = True
    max_calls_per_number_per_day: int = 1
    max_calls_per_number_per_week: int = 3
    address: str | None = None
    parking: str | None = None
    what_to_bring: str | None = None
    preparation: str | None = None
    extra_facts: dict[str, Any] = field(default_factory=dict)
    test_allowlist: tuple[str, ...] = ()
    paused_at: datetime | None = None
    paused_reason: str | None = None
    resumed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        v = _values(cls, row)
        v["closed_weekdays"] = tuple(v["closed_weekdays"] or ())
        v["closed_dates"] = tuple(v["closed_dates"] or ())
        v["test_allowlist"] = tuple(v["test_allowlist"] or ())
        v["retry_policy"] = _json_object(v["retry_policy"])
        v["extra_facts"] = _json_object(v["extra_facts"])
        return cls(**v)

    @property
    def callback_or_caller_id(self) -> str | None:
        """The number a patient is told to call back: the callback number, else the number we call from."""
        return self.callback_number or self.caller_id


@dataclass(frozen=True, slots=True)
class Appointment:
    """An `appointments` row."""

    id: int
    clinic_id: int
    external_id: str
    patient_id: int
    starts_at: datetime
    duration_minutes: int = 30
    provider: str | None = None
    location: str | None = None
    timezone: str | None = None        # the patient's time zone when the call list gave one
    notes: str | None = None
    status: Status = Status.PENDING
    status_changed_at: datetime | None = None
    attempts_count: int = 0
    next_attempt_at: datetime | None = None
    last_outcome: Outcome | None = None
    voicemail_left: bool = False
    callback_at: datetime | None = None
    row_hash: str | None = None
    call_list_id: int | None = None
    imported_starts_at: datetime | None = None
    is_test: bool = False              # a staff test-call copy (token_server/test_calls)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        v = _values(cls, row)
        v["status"] = Status(v["status"])
        v["last_outcome"] = None if v["last_outcome"] is None else Outcome(v["last_outcome"])
        return cls(**v)

    @property
    def settled(self) -> bool:
        return self.status in SETTLED_STATUSES


@dataclass(frozen=True, slots=True)
class Attempt:
    """A `call_attempts` row. `outcome` None = still in flight."""

    id: int
    clinic_id: int
    appointment_id: int
    attempt_number: int
    phone: str                         # E.164; never logged unmasked
    mode: str
    status: AttemptStatus
    outcome: Outcome | None = None
    room_name: str | None = None
    dispatch_id: str | None = None
    sip_call_id: str | None = None
    sip_status_code: int | None = None
    sip_status: str | None = None
    error: str | None = None
    planned_at: datetime | None = None
    dispatched_at: datetime | None = None
    dial_started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    deadline_at: datetime | None = None
    duration_seconds: Decimal | None = None
    transcript: list[dict[str, Any]] | None = None
    summary: str | None = None
    usage: dict[str, Any] | None = None
    cost_usd: Decimal | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        v = _values(cls, row)
        v["status"] = AttemptStatus(v["status"])
        v["outcome"] = None if v["outcome"] is None else Outcome(v["outcome"])
        return cls(**v)
