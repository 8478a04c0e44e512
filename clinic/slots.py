"""Free appointment slots per provider, the only times the agent may offer when rescheduling."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import psycopg

from clinic.clinics import parse_timezone


def working_slot_starts(
    start: date,
    end: date,
    *,
    tz_name: str,
    day_start: time = time(9, 0),
    day_end: time = time(17, 0),
    slot_minutes: int = 30,
    closed_weekdays: frozenset[int] = frozenset({6, 7}),
    lunch: tuple[time, time] | None = (time(12, 0), time(13, 0)),
) -> list[datetime]:
    """Slot start times (aware) on each open weekday between `start` and `end` inclusive.

    Computed in the clinic's zone so that a DST change keeps 9:00 at 9:00 local."""
    tz = parse_timezone(tz_name)
    out: list[datetime] = []
    day = start
    while day <= end:
        if day.isoweekday() not in closed_weekdays:
            t = datetime.combine(day, day_start)
            while (t + timedelta(minutes=slot_minutes)).time() <= day_end and t.date() == day:
                if not (lunch and lunch[0] <= t.time() < lunch[1]):
                    out.append(t.replace(tzinfo=tz))
                t += timedelta(minutes=slot_minutes)
        day += timedelta(days=1)
    return out


def generate(
    conn: psycopg.Connection[Any],
    *,
    clinic_id: int,
    tz_name: str,
    provider: str,
    start: date,
    end: date,
    location: str | None = None,
    slot_minutes: int = 30,
    closed_weekdays: frozenset[int] = frozenset({6, 7}),
) -> dict[str, int]:
    """Insert free slots (idempotent) and mark those an existing appointment already occupies."""
    starts = working_slot_starts(start, end, tz_name=tz_name, slot_minutes=slot_minutes,
                                 closed_weekdays=closed_weekdays)
    created = 0
    with conn.cursor() as cur:
        for s in starts:
            cur.execute(
                "INSERT INTO slots (clinic_id, provider, location, starts_at, duration_minutes)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (clinic_id, provider, starts_at) DO NOTHING",
                (clinic_id, provider, location, s, slot_minutes),
            )
            created += cur.rowcount
    booked = link_booked(conn, clinic_id)
    return {"slots": len(starts), "created": created, "linked_to_appointments": booked}


def link_booked(conn: psycopg.Connection[Any], clinic_id: int) -> int:
    """Mark free slots taken when an active appointment with that provider starts at that time."""
    cur = conn.execute(
        """
        UPDATE slots s SET appointment_id = a.id, booked_at = now()
          FROM appointments a
         WHERE s.clinic_id = %(c)s AND a.clinic_id = %(c)s AND s.appointment_id IS NULL
           AND a.provider = s.provider AND a.starts_at = s.starts_at
           AND a.status NOT IN ('cancelled')
           AND NOT EXISTS (SELECT 1 FROM slots s2 WHERE s2.appointment_id = a.id)
        """,
        {"c": clinic_id},
    )
    return cur.rowcount
