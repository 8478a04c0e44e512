"""The planner against the real Postgres: every skip reason, capacity, guardrails, DNC, batches."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from clinic import dnc
from dialer import batches, planner
from dialer.cli import app
from tests.dialer.factories import appointment, attempt

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # Tuesday 11:00 New York
DAY = timedelta(days=1)


def _clinic(conn, make_clinic, **kw):
    c = make_clinic(**kw)
    return conn.execute("SELECT * FROM clinics WHERE id = %s", (c["id"],)).fetchone()


def test_dry_run_explains_every_reason(conn, make_clinic) -> None:
    c = _clinic(conn, make_clinic, max_concurrent_calls=2)
    cid = c["id"]
    appointment(conn, cid, "due-1", NOW + 2 * DAY, phone="+14155550101")
    appointment(conn, cid, "la-early", NOW + 2 * DAY, phone="+14155550102", tz="America/Los_Angeles")
    appointment(conn, cid, "too-far", NOW + 4 * DAY, phone="+14155550103")
    appointment(conn, cid, "too-soon", NOW + DAY / 2, phone="+14155550104")
    appointment(conn, cid, "later", NOW + 2 * DAY, phone="+14155550105", next_attempt_at=NOW + timedelta(hours=1))
    appointment(conn, cid, "opted-out", NOW + 2 * DAY, phone="+14155550106")
    dnc.add(conn, "+14155550106", clinic_id=None, reason="asked")
    appointment(conn, cid, "exhausted", NOW + 2 * DAY, phone="+14155550107", attempts_count=3)
    busy = appointment(conn, cid, "in-flight", NOW + 2 * DAY, phone="+14155550108")
    attempt(conn, cid, busy, 1, NOW - timedelta(minutes=1), phone="+14155550108", status="dispatched")
    called = appointment(conn, cid, "called-today", NOW + 2 * DAY, phone="+14155550109", attempts_count=1)
    attempt(conn, cid, called, 1, NOW - timedelta(hours=1), phone="+14155550109", outcome="busy",
            dial_started_at=NOW - timedelta(hours=1))
    appointment(conn, cid, "sibling", NOW + 2 * DAY, phone="+14155550109", name="Sibling")
    appointment(conn, cid, "due-2", NOW + 2 * DAY + timedelta(hours=1), phone="+14155550110")
    conn.commit()

    r = planner.explain(conn, c, NOW)
    reasons = {s["external_id"]: s["reason"] for s in r.skipped}
    # Capacity 2, one call in flight -> one free slot; "la-early" is 08:00 in LA -> callable.
    assert [d["external_id"] for d in r.dial] == ["due-1"]
    assert reasons == {"la-early": "capacity", "too-far": "not_due", "later": "not_due", "opted-out": "dnc",
                       "exhausted": "exhausted", "in-flight": "in_flight", "called-today": "guardrail",
                       "sibling": "guardrail", "due-2": "capacity", "too-soon": "not_due"}

    early = planner.explain(conn, c, NOW - timedelta(hours=2, minutes=30))  # 08:30 NY, 05:30 LA
    assert {s["external_id"]: s["reason"] for s in early.skipped}["la-early"] == "outside_window"
    conn.execute("UPDATE clinics SET paused_at = %s WHERE id = %s", (NOW - DAY, cid))
    paused = planner.explain(conn, conn.execute("SELECT * FROM clinics WHERE id = %s", (cid,)).fetchone(), NOW)
    assert paused.dial == [] and {s["reason"] for s in paused.skipped} >= {"paused"}


def test_plan_creates_attempts_and_respects_guardrail_between_siblings(conn, make_clinic) -> None:
    c = _clinic(conn, make_clinic, max_concurrent_calls=10)
    a1 = appointment(conn, c["id"], "kid-1", NOW + 2 * DAY, phone="+14155550120", name="Kid One")
    appointment(conn, c["id"], "kid-2", NOW + 2 * DAY, phone="+14155550120", name="Kid Two")
    b = batches.build_batch(conn, c, NOW.date(), NOW - timedelta(hours=9))
    assert b["planned"] == 2
    conn.commit()
    r = planner.plan_clinic(conn, c, NOW, mode="sim")
    conn.commit()
    assert [d["appointment_id"] for d in r.dial] == [a1]  # one call per number per day
    att = conn.execute("SELECT * FROM call_attempts WHERE id = %s", (r.dial[0]["attempt_id"],)).fetchone()
    assert (att["room_name"], att["mode"], att["attempt_number"], att["planned_at"]) == (
        f"call-{att['id']}", "sim", 1, NOW)
    # A second tick: nothing new (in flight, and the sibling is still guarded).
    assert planner.plan_clinic(conn, c, NOW + timedelta(minutes=1)).dial == []
    conn.commit()
    progress = batches.progress(conn, b["batch_id"])
    assert (progress["appointments"], progress["dialed"], progress["in_flight"]) == (2, 1, 1)


def test_cli_dry_run_json_shape(db_url, conn, make_clinic) -> None:
    c = _clinic(conn, make_clinic, slug="cli-clinic")
    appointment(conn, c["id"], "E1", NOW + 2 * DAY)
    conn.commit()
    out = CliRunner().invoke(app, ["plan", "--clinic", "cli-clinic", "--at", NOW.isoformat(), "--dry-run", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data == {"dial": [{"external_id": "E1", "appointment_id": data["dial"][0]["appointment_id"]}],
                    "skipped": []}
    night = CliRunner().invoke(app, ["plan", "--clinic", "cli-clinic", "--at", "2026-03-10T23:30:00-04:00",
                                     "--dry-run", "--json"])
    assert json.loads(night.stdout)["skipped"] == [{"external_id": "E1", "reason": "outside_window"}]
    bad = CliRunner().invoke(app, ["plan", "--clinic", "cli-clinic", "--at", "2026-03-10T10:00", "--dry-run",
                                   "--json"])
    assert bad.exit_code == 1 and "UTC offset" in json.loads(bad.stdout)["error"]
    missing = CliRunner().invoke(app, ["plan", "--clinic", "nope", "--dry-run", "--json"])
    assert missing.exit_code == 1 and "no clinic" in json.loads(missing.stdout)["error"]
    assert CliRunner().invoke(app, ["pause", "--clinic", "cli-clinic", "--json"]).exit_code == 0
    paused = CliRunner().invoke(app, ["plan", "--clinic", "cli-clinic", "--at", NOW.isoformat(), "--dry-run",
                                      "--json"])
    assert json.loads(paused.stdout)["skipped"] == [{"external_id": "E1", "reason": "paused"}]
    assert CliRunner().invoke(app, ["resume", "--clinic", "cli-clinic", "--json"]).exit_code == 0
    batch = CliRunner().invoke(app, ["batch", "--clinic", "cli-clinic", "--date", "2026-03-10", "--json"])
    assert batch.exit_code == 0 and json.loads(batch.stdout)["batch_date"] == "2026-03-10"


def test_one_tick_counts_siblings_against_the_daily_limit(conn, make_clinic) -> None:
    """Set-based planning: numbers picked earlier in the same tick count towards the guardrail."""
    c = _clinic(conn, make_clinic, max_concurrent_calls=10, max_calls_per_number_per_day=2)
    kids = [appointment(conn, c["id"], f"kid-{i}", NOW + 2 * DAY + timedelta(minutes=i), phone="+14155550130",
                        name=f"Kid {i}") for i in range(3)]
    other = appointment(conn, c["id"], "other", NOW + 2 * DAY + timedelta(minutes=9), phone="+14155550131")
    conn.commit()
    r = planner.plan_clinic(conn, c, NOW, mode="sim")
    conn.commit()
    assert [d["appointment_id"] for d in r.dial] == [kids[0], kids[1], other]
    rows = conn.execute("SELECT appointment_id, attempt_number, room_name, id FROM call_attempts"
                        " ORDER BY id").fetchall()
    assert [(x["appointment_id"], x["attempt_number"], x["room_name"]) for x in rows] == [
        (a, 1, f"call-{x['id']}") for a, x in zip([kids[0], kids[1], other], rows, strict=True)]


def test_number_locked_elsewhere_is_left_for_the_next_tick(db_url, conn, make_clinic) -> None:
    """A number whose advisory lock another session holds is not planned (and takes no capacity)."""
    import psycopg

    c = _clinic(conn, make_clinic, max_concurrent_calls=10)
    held = appointment(conn, c["id"], "held", NOW + 2 * DAY, phone="+14155550140")
    free = appointment(conn, c["id"], "free", NOW + 2 * DAY, phone="+14155550141")
    conn.commit()
    with psycopg.connect(db_url) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (planner._NUMBER_LOCK,
                                                                           f"{c['id']}:+14155550140"))
        r = planner.plan_clinic(conn, c, NOW, mode="sim")
        conn.commit()
        other.rollback()
    assert [d["appointment_id"] for d in r.dial] == [free]
    assert [d["appointment_id"] for d in planner.plan_clinic(conn, c, NOW, mode="sim").dial] == [held]


def test_a_paused_batch_stops_planning_for_its_calling_day(conn, make_clinic) -> None:
    """Pausing today's batch (what the API does) must stop the real planner and show `paused` in the dry
    run; another day's paused batch does not, and the clinic itself stays unpaused."""
    c = _clinic(conn, make_clinic, max_concurrent_calls=10)
    appointment(conn, c["id"], "in-batch", NOW + 2 * DAY, phone="+14155550140")
    b = batches.build_batch(conn, c, NOW.date(), NOW - timedelta(hours=9))
    yesterday = batches.build_batch(conn, c, (NOW - DAY).date(), NOW - DAY)
    conn.execute("UPDATE batches SET paused_at = %s, paused_reason = 'x' WHERE id = %s",
                 (NOW - DAY, yesterday["batch_id"]))
    conn.commit()
    assert [d["external_id"] for d in planner.explain(conn, c, NOW).dial] == ["in-batch"]
    conn.execute("UPDATE batches SET paused_at = %s, paused_reason = 'staff' WHERE id = %s", (NOW, b["batch_id"]))
    appointment(conn, c["id"], "late-import", NOW + 2 * DAY, phone="+14155550141")  # not in the batch yet
    conn.commit()
    assert planner.plan_clinic(conn, c, NOW).dial == []
    conn.commit()
    assert conn.execute("SELECT count(*) AS n FROM call_attempts").fetchone()["n"] == 0
    dry = planner.explain(conn, c, NOW)
    assert dry.dial == [] and {s["external_id"]: s["reason"] for s in dry.skipped} == {
        "in-batch": "paused", "late-import": "paused"}
    # Resumed: planning goes on.
    conn.execute("UPDATE batches SET paused_at = NULL WHERE id = %s", (b["batch_id"],))
    conn.commit()
    assert len(planner.plan_clinic(conn, c, NOW).dial) == 2


def test_a_requested_callback_is_dialed_the_same_day_despite_the_daily_limit(conn, make_clinic) -> None:
    """"Call me back at 5" at 11:00: with the default 1 call per number per day the 17:00 callback must
    still be placed (exempt from the daily count), while the weekly cap, the window and siblings still hold."""
    c = _clinic(conn, make_clinic, max_concurrent_calls=10)
    five_pm = NOW + timedelta(hours=6)  # 17:00 New York
    cb = appointment(conn, c["id"], "callback", NOW + 2 * DAY, phone="+14155550150", attempts_count=1,
                     last_outcome="callback_requested", callback_at=five_pm, next_attempt_at=five_pm)
    attempt(conn, c["id"], cb, 1, NOW, phone="+14155550150", outcome="callback_requested", dial_started_at=NOW)
    appointment(conn, c["id"], "sibling", NOW + 2 * DAY, phone="+14155550150", name="Sibling")
    capped = appointment(conn, c["id"], "weekly-capped", NOW + 2 * DAY, phone="+14155550151", attempts_count=2,
                         last_outcome="callback_requested", callback_at=five_pm, next_attempt_at=five_pm)
    for n, days_ago in ((1, 3), (2, 2)):
        attempt(conn, c["id"], capped, n, NOW - days_ago * DAY, phone="+14155550151", outcome="no_answer",
                dial_started_at=NOW - days_ago * DAY)
    attempt(conn, c["id"], capped, 3, NOW, phone="+14155550151", outcome="callback_requested", dial_started_at=NOW)
    conn.execute("UPDATE appointments SET attempts_count = 2 WHERE id = %s", (capped,))
    conn.commit()

    early = planner.explain(conn, c, five_pm - timedelta(minutes=1))
    assert {s["external_id"]: s["reason"] for s in early.skipped}["callback"] == "not_due"
    dry = planner.explain(conn, c, five_pm)
    assert [d["external_id"] for d in dry.dial] == ["callback"]
    assert {s["external_id"]: s["reason"] for s in dry.skipped} == {"sibling": "guardrail",
                                                                    "weekly-capped": "guardrail"}
    r = planner.plan_clinic(conn, c, five_pm)
    conn.commit()
    assert [d["external_id"] for d in r.dial] == ["callback"]


def test_cli_rejects_at_without_dry_run(db_url, conn, make_clinic) -> None:
    """`plan --at` without --dry-run would create real attempts stamped at an arbitrary instant."""
    c = _clinic(conn, make_clinic, slug="cli-at")
    appointment(conn, c["id"], "E1", NOW + 2 * DAY)
    conn.commit()
    out = CliRunner().invoke(app, ["plan", "--clinic", "cli-at", "--at", NOW.isoformat(), "--json"])
    assert out.exit_code == 1
    assert "only allowed with --dry-run" in json.loads(out.stdout)["error"]
    assert conn.execute("SELECT count(*) AS n FROM call_attempts").fetchone()["n"] == 0
    text = CliRunner().invoke(app, ["plan", "--clinic", "cli-at", "--at", NOW.isoformat()])
    assert text.exit_code == 1 and "--dry-run" in text.output


def test_an_appointment_that_has_started_is_never_dialed(conn, make_clinic) -> None:
    """Found by the dry-run/tick agreement test: with a call-ahead minimum of 0 the tick used to dial an
    appointment starting at that very instant, which the dry run did not even list."""
    c = _clinic(conn, make_clinic, call_ahead_min=timedelta(0), call_ahead_max=timedelta(hours=48))
    appointment(conn, c["id"], "starting-now", NOW, phone="+14155550160")
    appointment(conn, c["id"], "in-a-minute", NOW + timedelta(minutes=1), phone="+14155550161")
    conn.commit()
    dry = planner.explain(conn, c, NOW)
    assert [d["external_id"] for d in dry.dial] == ["in-a-minute"] and dry.skipped == []
    assert [d["external_id"] for d in planner.plan_clinic(conn, c, NOW, mode="sim").dial] == ["in-a-minute"]
