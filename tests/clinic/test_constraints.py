"""The invariants the product's safety rests on are enforced by Postgres itself, not only by code."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

Conn = psycopg.Connection[dict[str, Any]]


def _patient(conn: Conn, clinic_id: int, phone: str = "+14155550132", name: str = "Ada Lovelace") -> int:
    row = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, %s, %s) RETURNING id",
                       (clinic_id, name, phone)).fetchone()
    assert row
    return row["id"]


def _appointment(conn: Conn, clinic_id: int, patient_id: int, external_id: str = "A1") -> int:
    row = conn.execute(
        "INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, provider)"
        " VALUES (%s, %s, %s, %s, 'Dr. Patel') RETURNING id",
        (clinic_id, external_id, patient_id, datetime.now(UTC) + timedelta(days=2)),
    ).fetchone()
    assert row
    return row["id"]


def _attempt(conn: Conn, clinic_id: int, appointment_id: int, n: int, outcome: str | None = None) -> None:
    conn.execute(
        "INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, status, outcome)"
        " VALUES (%s, %s, %s, '+14155550132', %s, %s)",
        (clinic_id, appointment_id, n, "ended" if outcome else "planned", outcome),
    )


@pytest.mark.parametrize("phone", ["4155550132", "+1 415 555 0132", "+0123456789", "+1415", "tel:+14155550132"])
def test_phone_numbers_must_be_e164(conn: Conn, make_clinic: Callable[..., dict[str, Any]], phone: str) -> None:
    clinic = make_clinic()
    with pytest.raises(psycopg.errors.CheckViolation):
        _patient(conn, clinic["id"], phone=phone)


def test_external_id_is_unique_per_clinic_only(conn: Conn, make_clinic: Callable[..., dict[str, Any]]) -> None:
    a, b = make_clinic("a"), make_clinic("b")
    _appointment(conn, a["id"], _patient(conn, a["id"]), "X-1")
    _appointment(conn, b["id"], _patient(conn, b["id"]), "X-1")  # another clinic may reuse it
    with pytest.raises(psycopg.errors.UniqueViolation):
        _appointment(conn, a["id"], _patient(conn, a["id"], name="Other"), "X-1")


def test_one_appointment_per_slot(conn: Conn, make_clinic: Callable[..., dict[str, Any]]) -> None:
    c = make_clinic()
    p = _patient(conn, c["id"])
    a1, a2 = _appointment(conn, c["id"], p, "A1"), _appointment(conn, c["id"], p, "A2")
    slot = conn.execute(
        "INSERT INTO slots (clinic_id, provider, starts_at, appointment_id) VALUES (%s, 'Dr. Patel', now(), %s)"
        " RETURNING id", (c["id"], a1)).fetchone()
    assert slot
    conn.commit()
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(
            "INSERT INTO slots (clinic_id, provider, starts_at, appointment_id)"
            " VALUES (%s, 'Dr. Patel', now() + interval '1 hour', %s)", (c["id"], a1))
    conn.rollback()
    # the same slot cannot be offered twice for one provider and time either
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO slots (clinic_id, provider, starts_at) SELECT clinic_id, provider, starts_at"
                     " FROM slots")
    conn.rollback()
    assert a2  # a second appointment can take a different, free slot
    conn.execute("INSERT INTO slots (clinic_id, provider, starts_at, appointment_id)"
                 " VALUES (%s, 'Dr. Patel', now() + interval '2 hours', %s)", (c["id"], a2))


def test_at_most_one_attempt_in_flight(conn: Conn, make_clinic: Callable[..., dict[str, Any]]) -> None:
    c = make_clinic()
    appt = _appointment(conn, c["id"], _patient(conn, c["id"]))
    _attempt(conn, c["id"], appt, 1, outcome="busy")
    _attempt(conn, c["id"], appt, 2)  # in flight
    with pytest.raises(psycopg.errors.UniqueViolation):
        _attempt(conn, c["id"], appt, 3)


def test_attempt_outcome_and_status_agree(conn: Conn, make_clinic: Callable[..., dict[str, Any]]) -> None:
    c = make_clinic()
    appt = _appointment(conn, c["id"], _patient(conn, c["id"]))
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, status)"
                     " VALUES (%s, %s, 1, '+14155550132', 'ended')", (c["id"], appt))
    conn.rollback()
    with pytest.raises(psycopg.errors.CheckViolation):
        _attempt(conn, c["id"], appt, 1, outcome="maybe")


def test_dnc_is_unique_per_clinic_and_globally(conn: Conn, make_clinic: Callable[..., dict[str, Any]]) -> None:
    from clinic import dnc
    c = make_clinic()
    assert dnc.add(conn, "+14155550132", clinic_id=c["id"], reason="asked") is True
    assert dnc.add(conn, "+14155550132", clinic_id=c["id"], reason="again") is False
    assert dnc.add(conn, "+14155550132", clinic_id=None, reason="carrier") is True
    assert dnc.add(conn, "+14155550132", clinic_id=None, reason="carrier") is False
    other = make_clinic()
    assert dnc.is_blocked(conn, "+14155550132", other["id"])  # global entry covers every clinic
