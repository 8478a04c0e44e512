"""Which US state a patient's phone number belongs to, from its NANP area code (phonenumbers' geocoder).

State calling-hour rules protect the called party, so the planner applies the patient's state rule as well
as the clinic's (see `dialer.calling_window`). Patient rows carry no state, and a patient's address is not
imported, so the area code is the best evidence available: it is where the number was issued, which may
not be where the patient lives now; that is why the clinic's rule always applies too. A number the
geocoder cannot place in a US state (toll-free, Canada, the Caribbean, territories) gives None, and only
the clinic's state rule applies.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import geocoder

US_STATES: dict[str, str] = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA", "Colorado": "CO",
    "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID",
    "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA",
    "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN",
    "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX",
    "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington": "WA", "West Virginia": "WV",
    "Wisconsin": "WI", "Wyoming": "WY",
    # The geocoder's own spellings where they differ from the plain name.
    "Washington State": "WA", "Washington D.C.": "DC", "District of Columbia": "DC",
}
_CODES = frozenset(US_STATES.values())
_CITY_STATE = re.compile(r",\s*([A-Z]{2})$")  # "San Francisco, CA"


def state_from_description(description: str) -> str | None:
    """Pure: a geocoder description ("California", "New York, NY", "Washington State") -> "CA"/"NY"/"WA"."""
    description = description.strip()
    m = _CITY_STATE.search(description)
    if m and m.group(1) in _CODES:
        return m.group(1)
    return US_STATES.get(description)


@lru_cache(maxsize=65_536)
def state_for_phone(phone_e164: str | None) -> str | None:
    """The US state of a number's area code, or None when it cannot be placed in one. Cached: the planner
    asks about the same numbers every tick, and a geocoder lookup costs tens of microseconds."""
    if not phone_e164 or not phone_e164.startswith("+1"):
        return None
    try:
        number = phonenumbers.parse(phone_e164)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_number(number) != "US":
        return None
    return state_from_description(geocoder.description_for_number(number, "en"))
