"""US states whose calling-hour rules are stricter than the federal 08:00-21:00 (called party's local time).

This is a small, editable table, kept deliberately conservative: most of these laws target telephone
solicitation and many exempt healthcare appointment reminders, but a confirmation dialer that respects
them anyway costs nothing and never has to argue the exemption. Edit it (and its test) when a law
changes; the planner applies the rules of the clinic's state and of the patient's (from the phone's area
code), in the patient's local time.
Not legal advice: review with counsel before adding a state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time


@dataclass(frozen=True)
class StateRule:
    start: time
    end: time
    closed_weekdays: frozenset[int] = frozenset()  # ISO weekdays with no calls at all
    by_weekday: dict[int, tuple[time, time]] = field(default_factory=dict)  # overrides for one weekday
    source: str = ""

    def hours_on(self, iso_weekday: int) -> tuple[time, time] | None:
        if iso_weekday in self.closed_weekdays:
            return None
        return self.by_weekday.get(iso_weekday, (self.start, self.end))


SUNDAY, SATURDAY = 7, 6

STATE_RULES: dict[str, StateRule] = {
    "FL": StateRule(time(8), time(20), source="Fla. Stat. 501.616(6)(a): 8 a.m.-8 p.m."),
    "OK": StateRule(time(8), time(20), source="Okla. Telephone Solicitation Act 2022: 8 a.m.-8 p.m."),
    "MD": StateRule(time(8), time(20), source="Md. Stop the Spam Calls Act 2023: 8 a.m.-8 p.m."),
    "WA": StateRule(time(8), time(20), source="RCW 80.36.390: 8 a.m.-8 p.m."),
    "UT": StateRule(time(8), time(20), source="Utah Code 13-25a-103: 8 a.m.-8 p.m."),
    "CT": StateRule(time(9), time(20), source="Conn. Gen. Stat. 42-288a: 9 a.m.-8 p.m."),
    "LA": StateRule(time(8), time(20), closed_weekdays=frozenset({SUNDAY}),
                    source="La. R.S. 45:844.17: 8 a.m.-8 p.m., not on Sundays"),
    "MS": StateRule(time(8), time(20), closed_weekdays=frozenset({SUNDAY}),
                    source="Miss. Code 77-3-725: 8 a.m.-8 p.m., not on Sundays"),
    "AL": StateRule(time(8), time(20), closed_weekdays=frozenset({SUNDAY}),
                    source="Ala. Code 8-19A-4: 8 a.m.-8 p.m., not on Sundays"),
    "TX": StateRule(time(9), time(21), by_weekday={SUNDAY: (time(12), time(21))},
                    source="Tex. Bus. & Com. Code 301.051: 9 a.m.-9 p.m., Sunday noon-9 p.m."),
    "RI": StateRule(time(9), time(18), closed_weekdays=frozenset({SUNDAY}),
                    by_weekday={SATURDAY: (time(10), time(17))},
                    source="R.I. Gen. Laws 5-61-3.4: 9 a.m.-6 p.m. weekdays, Saturday 10-5, not Sundays"),
}
