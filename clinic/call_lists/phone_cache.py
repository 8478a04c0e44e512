"""Phone parsing for bulk imports: `clinic.phones.to_e164` semantics at a fraction of its cost.

`phonenumbers` spends ~80 µs per number, which alone would cap an import at ~12,000 rows/s. Two memos:
1. every distinct cell text is parsed once;
2. North American (+1) ten-digit numbers: libphonenumber decides their validity from the area code and
   exchange (first six digits; every NANP pattern in its metadata is a six-digit prefix followed by
   `\\d{4}`), so validity is memoised per NPA-NXX. tests/clinic/call_lists/test_phone_cache.py checks
   this against the library on random numbers, so a metadata change that broke the assumption fails CI.
"""

from __future__ import annotations

import re

import phonenumbers

from clinic.phones import InvalidPhone, to_e164

_FORMATTING = re.compile(r"[\s().\-\u00a0]+")
_NANP = re.compile(r"^(\+1|1)?([2-9]\d{2}[2-9]\d{6})$")


class PhoneParser:
    """Callable: raw cell -> E.164, raising InvalidPhone exactly as `to_e164(raw, region)` would."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._nanp_default = phonenumbers.country_code_for_region(region) == 1
        self._seen: dict[str, str | InvalidPhone] = {}  # exact cell text
        self._by_exchange: dict[str, InvalidPhone | None] = {}

    def __call__(self, raw: str) -> str:
        hit = self._seen.get(raw)
        if hit is None:
            try:
                hit = self._parse(raw)
            except InvalidPhone as exc:
                hit = exc
            self._seen[raw] = hit
        if isinstance(hit, InvalidPhone):
            raise InvalidPhone(str(hit))
        return hit

    def _parse(self, raw: str) -> str:
        key = _FORMATTING.sub("", raw)
        m = _NANP.match(key)
        if m and (m.group(1) == "+1" or self._nanp_default):
            nsn = m.group(2)
            exchange = nsn[:6]
            if exchange not in self._by_exchange:
                # Same check as to_e164 without re-parsing text: the number is already +1 and ten digits.
                # Valid for the clinic's own region implies valid (and is one metadata pass, not two).
                number = phonenumbers.PhoneNumber(country_code=1, national_number=int(nsn))
                valid = (phonenumbers.is_valid_number_for_region(number, self.region)
                         or phonenumbers.is_valid_number(number))
                self._by_exchange[exchange] = None if valid else InvalidPhone(
                    f"not a valid {self.region} or international phone number")
            error = self._by_exchange[exchange]
            if error is not None:
                raise InvalidPhone(str(error))
            return "+1" + nsn
        return to_e164(raw, self.region)
