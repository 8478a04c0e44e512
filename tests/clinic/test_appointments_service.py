"""clinic.appointments.service.transition: the one writer of an appointment's status, against the real schema.
What staff notice: the status they see, when it changed, and an audit line saying who changed it and why."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from clinic.appointments import service
from clinic.appointments.models import Appointment, Clinic, Outcome, Status

Conn = psycopg.Connection[dict[str, Any]]
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=7)


def _appointment(conn: Conn, clinic_id: int, external_id: str = "A1", phone: str = "+14155550132",
                 status: str = "pending") -> int:
    pid = conn.execute("INSERT INTO patients (clinic_id, full_name, phone) VALUES (%s, %s, %s) RETURNING id",
                       (clinic_id, f"Pat {external_id}", phone)).fetchone()["id"]
    aid = conn.execute("INSERT INTO appointments (clinic_id, external_id, patient_id, starts_at, status,"
                       " status_changed_at) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                       (clinic_id, external_id, pid, NOW + timedelta(days=2), status, NOW)).fetchone()["id"]
    conn.commit()
    return int(aid)


def _events(conn: Conn, aid: int) -> list[dict[str, Any]]:
    return conn.execute("SELECT kind, actor, data FROM events WHERE subject_type = 'appointment'"
                        " AND subject_id = %s ORDER BY id", (aid,)).fetchall()


@pytest.fixture
def clinic(make_clinic: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_clinic()


def test_a_transition_changes_the_status_stamps_it_and_leaves_an_audit_line(conn: Conn, clinic) -> None:
    aid = _appointment(conn, clinic["id"])
    done = service.transition(conn, aid, Status.CONFIRMED, actor="agent", reason="patient_confirmed", now=LATER,
                              event={"attempt_id": 9})
    conn.commit()
    assert isinstance(done, Appointment)
    assert (done.status, done.status_changed_at) == (Status.CONFIRMED, LATER)
    assert _events(conn, aid) == [{"kind": "appointment.confirmed", "actor": "agent",
                                   "data": {"from_status": "pending", "reason": "patient_confirmed", "attempt_id": 9}}]


def test_a_guarded_transition_from_the_wrong_status_writes_nothing(conn: Conn, clinic) -> None:
    aid = _appointment(conn, clinic["id"], status="cancelled")
    assert service.transition(conn, aid, Status.CONFIRMED, actor="agent", reason="x", now=LATER,
                              only_from={Status.PENDING}) is None
    conn.commit()
    stored = service.get_appointment(conn, aid)
    assert stored is not None and (stored.status, stored.status_changed_at) == (Status.CANCELLED, NOW)
    assert _events(conn, aid) == []
    assert service.transition(conn, 10**9, Status.CONFIRMED, actor="agent", reason="x", now=LATER) is None


def test_staying_in_a_status_writes_the_changes_but_no_new_status_time_or_event(conn: Conn, clinic) -> None:
    aid = _appointment(conn, clinic["id"])
    done = service.transition(conn, aid, Status.PENDING, actor="dialer", reason="retry_after_busy", now=LATER,
                              changes={"next_attempt_at": LATER + timedelta(minutes=15), "attempts_count": 1,
                                       "last_outcome": Outcome.BUSY})
    conn.commit()
    assert done is not None
    assert (done.status, done.status_changed_at, done.attempts_count, done.last_outcome, done.next_attempt_at) == (
        Status.PENDING, NOW, 1, Outcome.BUSY, LATER + timedelta(minutes=15))
    assert done.updated_at == LATER
    assert _events(conn, aid) == []


def test_a_new_time_is_audited_even_when_the_status_stays(conn: Conn, clinic) -> None:
    aid = _appointment(conn, clinic["id"], status="rescheduled")
    new_time = NOW + timedelta(days=5)
    done = service.transition(conn, aid, Status.RESCHEDULED, actor="agent", reason="patient_rescheduled", now=LATER,
                              changes={"starts_at": new_time, "provider": "Dr. Ng"}, event={"slot_id": 4})
    conn.commit()
    assert done is not None and (done.starts_at, done.provider) == (new_time, "Dr. Ng")
    assert [e["kind"] for e in _events(conn, aid)] == ["appointment.rescheduled"]


def test_many_at_once_moves_only_those_allowed_with_one_audit_line_each(conn: Conn, clinic) -> None:
    pending = [_appointment(conn, clinic["id"], f"P{i}", f"+1415555014{i}") for i in range(3)]
    confirmed = _appointment(conn, clinic["id"], "C1", "+14155550150", status="confirmed")
    moved = service.transition_many(conn, [*pending, confirmed], Status.STAFF_FOLLOWUP, actor="agent",
                                    reason="number_on_dnc", now=LATER, only_from={Status.PENDING},
                                    changes={"next_attempt_at": None})
    conn.commit()
    assert sorted(a.id for a in moved) == sorted(pending)
    assert all(a.status == Status.STAFF_FOLLOWUP for a in moved)
    assert service.get_appointment(conn, confirmed).status == Status.CONFIRMED  # type: ignore[union-attr]
    assert [len(_events(conn, a)) for a in [*pending, confirmed]] == [1, 1, 1, 0]
    assert service.transition_many(conn, [], Status.PENDING, actor="x", reason="x", now=LATER) == []


def test_update_never_touches_the_status(conn: Conn, clinic) -> None:
    aid = _appointment(conn, clinic["id"], status="confirmed")
    assert service.update(conn, aid, {"callback_at": LATER}, now=LATER)
    conn.commit()
    stored = service.get_appointment(conn, aid)
    assert stored is not None and (stored.status, stored.callback_at) == (Status.CONFIRMED, LATER)
    assert not service.update(conn, 10**9, {"callback_at": LATER}, now=LATER)


def test_columns_outside_the_domain_cannot_be_written(conn: Conn, clinic) -> None:
    aid = _appointment(conn, clinic["id"])
    with pytest.raises(ValueError, match="is_test"):
        service.transition(conn, aid, Status.PENDING, actor="x", reason="x", now=LATER,
                           changes={"is_test": True})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(ValueError, match="status"):
        service.update(conn, aid, {"status": "confirmed"}, now=LATER)  # type: ignore[typeddict-unknown-key]


def test_two_writers_racing_cannot_both_win(db_url: str, conn: Conn, clinic) -> None:
    """A cancel and a confirm of the same pending appointment at the same moment: the guard is checked under
    the row lock, so the second sees the first's result and does nothing (no confirmed-after-cancelled)."""
    aid = _appointment(conn, clinic["id"])
    first = psycopg.connect(db_url, row_factory=dict_row)
    service.transition(first, aid, Status.CANCELLED, actor="agent", reason="patient_cancelled", now=LATER,
                       only_from={Status.PENDING})
    result: list[Appointment | None] = []

    def confirm() -> None:
        with psycopg.connect(db_url, row_factory=dict_row) as second:
            result.append(service.transition(second, aid, Status.CONFIRMED, actor="agent", reason="x", now=LATER,
                                             only_from={Status.PENDING}))
            second.commit()

    waiter = threading.Thread(target=confirm)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive()  # blocked on the first writer's lock
    first.commit()
    first.close()
    waiter.join(10)
    assert result == [None]
    assert service.get_appointment(conn, aid).status == Status.CANCELLED  # type: ignore[union-attr]


def test_records_refuse_partial_rows() -> None:
    with pytest.raises(KeyError, match="slug"):
        Clinic.from_row({"id": 1, "name": "x", "timezone": "UTC"})
