"""Voicemail: clinic name and callback number only, never appointment details, well under 30 seconds."""

from __future__ import annotations

from agent.speech import say_phone

MAX_SECONDS = 30
WORDS_PER_SECOND = 2.5   # an unhurried phone voice


def voicemail_text(clinic_name: str, callback_e164: str | None) -> str:
    number = say_phone(callback_e164) if callback_e164 else "the number on your appointment card"
    return (f"Hello, this is the automated assistant calling for {clinic_name}. Please call us back at "
            f"{number}. Again, that's {number}. Thank you, goodbye.")


def estimated_seconds(text: str) -> float:
    return len(text.split()) / WORDS_PER_SECOND


def leave_voicemail_text(clinic_name: str, callback_e164: str | None) -> str:
    """The message, checked against the 30-second limit (the repeat is dropped if it would not fit)."""
    text = voicemail_text(clinic_name, callback_e164)
    if estimated_seconds(text) >= MAX_SECONDS:
        number = say_phone(callback_e164) if callback_e164 else "the clinic"
        text = f"Hello, this is {clinic_name}. Please call us back at {number}. Thank you."
    return text
