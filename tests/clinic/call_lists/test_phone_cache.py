"""The memoised phone parser must agree with clinic.phones.to_e164 on every input."""

from __future__ import annotations

import random

import pytest

from clinic.call_lists.phone_cache import PhoneParser
from clinic.phones import InvalidPhone, to_e164


def _reference(raw: str, region: str) -> str:
    try:
        return to_e164(raw, region)
    except InvalidPhone as exc:
        return f"error: {exc}"


def _ours(parser: PhoneParser, raw: str) -> str:
    try:
        return parser(raw)
    except InvalidPhone as exc:
        return f"error: {exc}"


@pytest.mark.parametrize("region", ["US", "CA", "GB"])
def test_agrees_with_to_e164_on_random_numbers_in_many_formats(region: str) -> None:
    rnd = random.Random(region)
    parser = PhoneParser(region)
    formats = ["{a}{e}{l}", "({a}) {e}-{l}", "{a}-{e}-{l}", "{a}.{e}.{l}", "+1 {a} {e} {l}", "1-{a}-{e}-{l}",
               "+1({a}){e}{l}", "{a} {e} {l}"]
    for _ in range(1500):
        a = f"{rnd.randint(200, 999)}"
        e = f"{rnd.randint(0, 999):03d}"  # includes exchanges starting with 0/1 (never valid)
        l4 = f"{rnd.randint(0, 9999):04d}"
        raw = rnd.choice(formats).format(a=a, e=e, l=l4)
        assert _ours(parser, raw) == _reference(raw, region), raw
        assert _ours(parser, raw) == _reference(raw, region), raw  # memoised answer too


@pytest.mark.parametrize("raw", ["", "abc", "+44 20 7946 0958", "020 7946 0958", "+33 1 42 68 53 00",
                                 "212-555-0142 ext 12", "+1 800 555 0199", "911", "+1 212 555 014"])
def test_agrees_on_odd_inputs(raw: str) -> None:
    for region in ("US", "GB"):
        assert _ours(PhoneParser(region), raw) == _reference(raw, region)
