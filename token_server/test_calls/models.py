"""Request/response shapes for test calls."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator, model_validator

from clinic import bounds
from clinic.clock import get_clock
from clinic.phones import InvalidPhone, to_e164


class TestAppointmentIn(BaseModel):
    """A throwaway appointment to practise on; nothing about a real patient is needed."""

    patient_name: str = Field("Test Patient", min_length=1, max_length=120)
    starts_at: datetime | None = Field(None, description="default: tomorrow 10:00 clinic time")
    duration_minutes: int = Field(30, ge=5, le=480)
    provider: str | None = Field("Dr. Test", max_length=120)
    location: str | None = Field(None, max_length=200)

    @field_validator("starts_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("starts_at needs a time zone offset, e.g. 2026-05-01T10:00:00-04:00")
        if value is not None:
            # Year 1 or 9999 would reach the retry policy's arithmetic (and once stopped the reaper for everyone).
            try:
                bounds.check_instant(value, "starts_at", now=get_clock().now())
            except bounds.OutOfBounds as exc:
                raise ValueError(str(exc)) from None
        return value


class WebTestCallIn(BaseModel):
    appointment_id: int | None = Field(None, ge=1, description="practise on a copy of this appointment")
    test_appointment: TestAppointmentIn | None = Field(None, description="or on this made-up one (default)")

    @model_validator(mode="after")
    def _one_source(self) -> WebTestCallIn:
        if self.appointment_id is not None and self.test_appointment is not None:
            raise ValueError("give appointment_id or test_appointment, not both")
        return self


class PhoneTestCallIn(WebTestCallIn):
    phone: str = Field(..., min_length=3, max_length=40, description="must be on the clinic's test allow-list")

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        try:
            return to_e164(value)
        except InvalidPhone as exc:
            raise ValueError(str(exc)) from None


class WebTestCallOut(BaseModel):
    attempt_id: int
    appointment_id: int = Field(description="the test copy the agent talks about")
    room_name: str
    livekit_url: str = Field(description="where the browser connects")
    token: str = Field(description="LiveKit access token for the browser; dispatches the agent on join")
    identity: str
    expires_at: datetime


class PhoneTestCallOut(BaseModel):
    attempt_id: int
    appointment_id: int
    room_name: str
    dispatch_id: str
    phone_masked: str


class AbandonOut(BaseModel):
    attempt_id: int
    outcome: str = Field(description="`failed`, or the outcome the call already had")
