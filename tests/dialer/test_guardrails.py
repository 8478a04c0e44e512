"""Guardrail rules as pure functions: per-day and weekly caps, and the patient-requested callback exemption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer import guardrails

NOW = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)  # 17:00 New York
DEFAULT = guardrails.Limits()


def test_caps() -> None:
    assert guardrails.check(DEFAULT, 0, 0) is None
    assert guardrails.check(DEFAULT, 1, 1) == "guardrail"
    assert guardrails.check(DEFAULT, 0, 3) == "guardrail"
    assert guardrails.check(guardrails.Limits(enabled=False), 5, 9) is None


def test_requested_callback_lifts_the_daily_cap_only() -> None:
    assert guardrails.check(DEFAULT, 1, 1, requested_callback=True) is None
    assert guardrails.check(DEFAULT, 1, 3, requested_callback=True) == "guardrail"  # weekly cap still applies


def test_callback_due_only_when_the_patient_asked_and_the_time_has_come() -> None:
    at = NOW - timedelta(minutes=1)
    assert guardrails.callback_due("callback_requested", at, NOW)
    assert guardrails.callback_due("callback_requested", NOW, NOW)
    assert not guardrails.callback_due("callback_requested", NOW + timedelta(minutes=1), NOW)
    assert not guardrails.callback_due("callback_requested", None, NOW)
    # The callback call itself was made (busy): a later same-day retry is not the patient's request.
    assert not guardrails.callback_due("busy", at, NOW)


def test_the_sql_rule_is_the_python_rule(conn) -> None:
    """The planner's candidate query filters with `allows_sql`; the sibling check uses `check`. Same rule."""
    import itertools

    sql = "SELECT " + guardrails.allows_sql("%(today)s::int", "%(week)s::int", "%(cb)s::bool") + " AS ok"
    for enabled, per_day, per_week, today, week, cb in itertools.product(
            (True, False), (1, 2), (1, 3), range(4), range(5), (True, False)):
        row = conn.execute(sql, {"guarded": enabled, "per_day": per_day, "per_week": per_week, "today": today,
                                 "week": week, "cb": cb}).fetchone()
        expected = guardrails.check(guardrails.Limits(enabled, per_day, per_week), today, week,
                                    requested_callback=cb) is None
        assert row["ok"] is expected, (enabled, per_day, per_week, today, week, cb)
