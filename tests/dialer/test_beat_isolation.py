"""Issue 14 item 1 and its class: one poisoned row never stops a beat job (reaper, planner, batches) for
every other row and clinic. The bad row is logged at ERROR without PHI, recorded, skipped or quarantined."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from clinic import logs
from dialer import batches, planner, reaper
from tests.dialer.factories import appointment, attempt

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # Tuesday 11:00 New York
M = timedelta(minutes=1)
DAY = timedelta(days=1)


def _failures(conn, job: str) -> list[dict]:
    return conn.execute("SELECT clinic_id, subject_id, data FROM events WHERE kind = 'beat.row_failed'"
                        " AND data->>'job' = %s ORDER BY id", (job,)).fetchall()


def test_year_one_appointment_does_not_stop_the_reaper_for_other_clinics(conn, make_clinic, capsys) -> None:
    poisoned_clinic = make_clinic("poisoned")["id"]
    others = [make_clinic(f"other-{i}")["id"] for i in range(3)]
    # The row: a test appointment at 0001-01-01T00:00:00-12:00 whose attempt went stale.
    bad_appt = appointment(conn, poisoned_clinic, "year-one", datetime(1, 1, 1, 12, tzinfo=UTC), is_test=True)
    bad = attempt(conn, poisoned_clinic, bad_appt, 1, NOW - 20 * M, status="dispatched", dispatched_at=NOW - 20 * M)
    stuck = []
    for cid in others:
        appt = appointment(conn, cid, "normal", NOW + 2 * DAY)
        stuck.append(attempt(conn, cid, appt, 1, NOW - 20 * M, status="dispatched", dispatched_at=NOW - 20 * M))
    conn.commit()

    reaped = reaper.reap(conn, NOW)
    conn.commit()

    assert set(stuck) <= set(reaped)
    for attempt_id in stuck:
        row = conn.execute("SELECT outcome FROM call_attempts WHERE id = %s", (attempt_id,)).fetchone()
        assert row["outcome"] == "lost"
    # The year-one attempt no longer blocks anything: ended, its appointment handed to staff, not retried.
    bad_row = conn.execute("SELECT outcome, error FROM call_attempts WHERE id = %s", (bad,)).fetchone()
    assert bad_row["outcome"] == "lost"
    assert reaper.reap(conn, NOW) == []  # the next pass has nothing left: the poison does not come back


def test_a_row_that_raises_is_quarantined_logged_and_recorded(conn, make_clinic, monkeypatch, capsys) -> None:
    """The class, not the instance: whatever makes `finish_attempt` raise for one attempt."""
    cid = make_clinic()["id"]
    ids = []
    for i in range(3):
        appt = appointment(conn, cid, f"a{i}", NOW + 2 * DAY, phone=f"+1212555{i:04d}")
        ids.append(attempt(conn, cid, appt, 1, NOW - 20 * M, phone=f"+1212555{i:04d}", status="planned"))
    conn.commit()
    real = reaper.finish_attempt

    def poisoned(c, attempt_id, outcome, **kw):
        if attempt_id == ids[1]:
            raise ArithmeticError("+12125550001 Maria Lopez")  # a message that would leak PHI if logged
        return real(c, attempt_id, outcome, **kw)

    monkeypatch.setattr(reaper, "finish_attempt", poisoned)
    logs.configure("INFO")
    reaper.reap(conn, NOW)
    conn.commit()

    outcomes = {r["id"]: (r["outcome"], r["error"]) for r in conn.execute(
        "SELECT id, outcome, error FROM call_attempts WHERE id = ANY(%s)", (ids,)).fetchall()}
    assert outcomes[ids[0]][0] == outcomes[ids[2]][0] == "lost"
    assert outcomes[ids[1]][0] == "lost" and "quarantined" in outcomes[ids[1]][1]
    appt = conn.execute("SELECT a.status FROM appointments a JOIN call_attempts c ON c.appointment_id = a.id"
                        " WHERE c.id = %s", (ids[1],)).fetchone()
    assert appt["status"] == "staff_followup"
    failures = _failures(conn, "reaper")
    assert [(f["clinic_id"], f["subject_id"], f["data"]["error"]) for f in failures] == [
        (cid, ids[1], "ArithmeticError")]
    err = capsys.readouterr().err
    assert "beat.row_failed" in err and "[error" in err  # ERROR level: what an alert on logs keys on
    assert "Maria" not in err and "5550001" not in err


def test_one_clinic_that_breaks_the_planner_does_not_stop_the_others(conn, make_clinic, monkeypatch) -> None:
    broken = make_clinic("broken")["id"]
    fine = make_clinic("fine")["id"]
    appointment(conn, broken, "b1", NOW + 2 * DAY)
    appointment(conn, fine, "f1", NOW + 2 * DAY)
    # A zone name the database holds but zoneinfo does not know (written around the importer's checks).
    appointment(conn, fine, "bad-zone", NOW + 2 * DAY, phone="+12125550177", tz="Mars/Olympus_Mons")
    conn.commit()
    real = planner.plan_clinic

    def plan(c, clinic, now, mode=None):
        if clinic["id"] == broken:
            raise RuntimeError("boom")
        return real(c, clinic, now, mode)

    monkeypatch.setattr(planner, "plan_clinic", plan)
    enqueued: list[int] = []
    results = planner.tick(NOW, enqueued.append)

    assert [d["external_id"] for r in results for d in r.dial] == ["f1"]
    assert len(enqueued) == 1
    assert [f["clinic_id"] for f in _failures(conn, "planner")] == [broken, fine]  # the clinic, then the row


def test_batches_are_built_for_the_other_clinics_when_one_fails(conn, make_clinic, monkeypatch) -> None:
    a = make_clinic("batch-a")["id"]
    b = make_clinic("batch-b")["id"]
    real = batches.build_batch

    def build(c, clinic, day, now):
        if clinic["id"] == a:
            raise ValueError("bad clinic row")
        return real(c, clinic, day, now)

    monkeypatch.setattr(batches, "build_batch", build)
    built = batches.build_due(conn, NOW)
    conn.commit()
    assert [p["clinic_id"] for p in built] == [b]
    assert [f["clinic_id"] for f in _failures(conn, "batches")] == [a]
    assert conn.execute("SELECT count(*) AS n FROM batches WHERE batch_date = %s", (date(2026, 3, 10),)
                        ).fetchone()["n"] == 1


def test_row_failures_reach_metrics(conn, make_clinic) -> None:
    """An alert can fire: /metrics exports the failures per job (from Postgres, like every other figure)."""
    from token_server.metrics import ClinicCollector

    cid = make_clinic()["id"]
    appointment(conn, cid, "bad-zone", NOW + 2 * DAY, tz="Mars/Olympus_Mons")
    conn.commit()
    planner.tick(NOW, lambda _: None)
    families = {m.name: m for m in ClinicCollector().collect()}
    samples = families["clinic_dialer_beat_row_failures"].samples
    assert any(s.labels == {"job": "planner"} and s.value == 1 for s in samples)
