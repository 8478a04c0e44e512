"""Phone numbers: parse anything a clinic's spreadsheet holds into E.164, and mask for logs."""

from __future__ import annotations

import re

import phonenumbers


class InvalidPhone(ValueError):
    pass


def to_e164(raw: str, default_region: str = "US") -> str:
    """Parse `raw` (any common national or international format) into E.164.

    Raises InvalidPhone with a message a clinic operator can act on."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("phone is empty")
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(f"not a valid {default_region} or international phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """`+14155550132` -> `+1415***0132`: enough to tell calls apart in logs, not to dial."""
    if len(e164) < 9:
        return "***"
    return f"{e164[:5]}***{e164[-4:]}"


_PHONE_IN_TEXT = re.compile(r"\+?\d[\d\-\s().]{8,}\d")
_DATE_IN_RUN = re.compile(r"(?<!\d)(1\d|20)\d\d-[01]?\d-[0-3]?\d(?!\d)|(?<!\d)[01]?\d/[0-3]?\d/\d{2,4}(?!\d)")


def mask_in_text(text: str) -> str:
    """Mask every phone-number-looking run inside free text (log messages, error strings)."""

    def _sub(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) < 10 or _DATE_IN_RUN.search(m.group(0)):  # "2027-03-03 14" is a date, not a phone
            return m.group(0)
        return mask("+" + digits)

    return _PHONE_IN_TEXT.sub(_sub, text)


def region_for_country(country: str | None) -> str:
    return (country or "US").upper()
