"""Text written for a phone voice: dates, times and numbers the way a receptionist says them.

TTS engines read "2026-03-02 09:15" or "+12125550100" badly; patients also trust a call less when it
sounds machine-made. Everything the agent speaks passes through here (`for_tts`) so no markdown, emoji
or raw digits reach the voice."""

from __future__ import annotations

import re
from datetime import datetime

_ORDINAL_SUFFIX = {1: "st", 2: "nd", 3: "rd"}


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 22 -> "22nd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else _ORDINAL_SUFFIX.get(n % 10, "th")
    return f"{n}{suffix}"


def say_time(t: datetime) -> str:
    """09:15 -> "9:15 in the morning", 14:00 -> "2 in the afternoon", 12:00 -> "noon"."""
    h, m = t.hour, t.minute
    if h == 12 and m == 0:
        return "noon"
    part = "in the morning" if h < 12 else ("in the afternoon" if h < 17 else "in the evening")
    h12 = h % 12 or 12
    clock = f"{h12}" if m == 0 else f"{h12}:{m:02d}"
    return f"{clock} {part}"


def say_date(t: datetime) -> str:
    """"Tuesday, March 2nd"."""
    return f"{t:%A}, {t:%B} {ordinal(t.day)}"


def say_when(t: datetime) -> str:
    """"Tuesday, March 2nd at 9:15 in the morning" (t already in the clinic's zone)."""
    return f"{say_date(t)} at {say_time(t)}"


def say_slot_short(t: datetime) -> str:
    """Shorter form for lists of options: "Tuesday the 2nd at 9:15 in the morning"."""
    return f"{t:%A} the {ordinal(t.day)} at {say_time(t)}"


def say_phone(e164: str) -> str:
    """+12125550100 -> "212-555-0100" (NANP) spoken in groups; others digit by digit in threes."""
    digits = re.sub(r"\D", "", e164)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        return f"{' '.join(digits[:3])}, {' '.join(digits[3:6])}, {' '.join(digits[6:])}"
    return ", ".join(" ".join(digits[i:i + 3]) for i in range(0, len(digits), 3))


def join_options(items: list[str]) -> str:
    """["a"] -> "a"; ["a","b"] -> "a or b"; ["a","b","c"] -> "a, b, or c"."""
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} or {items[1]}"
    return ", ".join(items[:-1]) + f", or {items[-1]}"


_MARKDOWN = re.compile(r"(\*\*|__|\*|`+|^#+\s*|^\s*[-•]\s+|\[|\]\([^)]*\))", re.MULTILINE)
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F900-\U0001F9FF\uFE0F\u200D]")
_E164 = re.compile(r"\+\d{10,15}")


def for_tts(text: str) -> str:
    """Strip markdown and emoji and speak any E.164 number; collapse whitespace."""
    text = _E164.sub(lambda m: say_phone(m.group(0)), text)
    text = _MARKDOWN.sub("", text)
    text = _EMOJI.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def greeting_for(hour: int) -> str:
    """Time-of-day greeting for the patient's local hour."""
    if hour < 12:
        return "Good morning"
    if hour < 17:
        return "Good afternoon"
    return "Good evening"
