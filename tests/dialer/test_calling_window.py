"""Calling-window edges across every US time zone, DST transitions included (hypothesis)."""

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import tzdata
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.calling_calendar import ClinicCalendar
from dialer.calling_window import ClinicWindow, is_callable, next_callable, why_not_callable
from dialer.state_rules import STATE_RULES

ZONE_TAB = Path(tzdata.__file__).parent / "zoneinfo" / "zone.tab"
US_ZONES = sorted(line.split("\t")[2] for line in ZONE_TAB.read_text().splitlines()
                  if line.startswith("US\t"))
assert len(US_ZONES) > 25 and "America/Phoenix" in US_ZONES and "Pacific/Honolulu" in US_ZONES

EVERY_DAY: frozenset[int] = frozenset()  # the calendar closes Sundays by default; these clinics call daily
WIDE = ClinicWindow(ClinicCalendar("America/New_York", time(0), time(23, 59), EVERY_DAY))
# Instants around the 2024-2027 DST transitions are the interesting ones; cover whole years anyway.
instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.just(UTC))


@settings(max_examples=400, deadline=None)
@given(at=instants, patient_tz=st.sampled_from(US_ZONES), clinic_tz=st.sampled_from(US_ZONES))
def test_never_outside_8_to_21_patient_local(at: datetime, patient_tz: str, clinic_tz: str) -> None:
    rules = ClinicWindow(ClinicCalendar(clinic_tz, time(0), time(23, 59), EVERY_DAY))
    local = at.astimezone(ZoneInfo(patient_tz)).time()
    assert is_callable(rules, patient_tz, at) == (time(8) <= local < time(21))


@settings(max_examples=300, deadline=None)
@given(at=instants, patient_tz=st.sampled_from(US_ZONES), clinic_tz=st.sampled_from(US_ZONES),
       start_h=st.integers(6, 12), end_h=st.integers(13, 22), state=st.sampled_from([None, *STATE_RULES]))
def test_window_is_the_intersection(at, patient_tz, clinic_tz, start_h, end_h, state) -> None:
    rules = ClinicWindow(ClinicCalendar(clinic_tz, time(start_h), time(end_h), frozenset({7})), state)
    c = at.astimezone(ZoneInfo(clinic_tz))
    p = at.astimezone(ZoneInfo(patient_tz))
    expected = c.isoweekday() != 7 and time(start_h) <= c.time() < time(end_h) and time(8) <= p.time() < time(21)
    if state:
        hours = STATE_RULES[state].hours_on(p.isoweekday())
        expected = expected and hours is not None and hours[0] <= p.time() < hours[1]
    assert is_callable(rules, patient_tz, at) == expected


@settings(max_examples=60, deadline=None)
@given(at=instants, patient_tz=st.sampled_from(US_ZONES))
def test_next_callable_is_the_first_open_minute(at: datetime, patient_tz: str) -> None:
    rules = ClinicWindow(ClinicCalendar("America/Chicago", time(9), time(19), frozenset({6, 7})))
    nxt = next_callable(rules, patient_tz, at)
    assert nxt is not None and nxt >= at and is_callable(rules, patient_tz, nxt)
    if nxt - at >= timedelta(minutes=1):
        assert not is_callable(rules, patient_tz, nxt - timedelta(minutes=1))


def test_edges_in_new_york_on_dst_days() -> None:
    ny = ZoneInfo("America/New_York")
    for day in (date(2026, 3, 8), date(2026, 11, 1), date(2026, 3, 9)):  # spring forward, fall back, normal
        at8 = datetime.combine(day, time(8), ny)
        at21 = datetime.combine(day, time(21), ny)
        assert is_callable(WIDE, "America/New_York", at8)
        assert not is_callable(WIDE, "America/New_York", at8 - timedelta(seconds=1))
        assert is_callable(WIDE, "America/New_York", at21 - timedelta(seconds=1))
        assert not is_callable(WIDE, "America/New_York", at21)


def test_patient_zone_differs_from_clinic() -> None:
    # Clinic in New York open 09-19; patient in Los Angeles: 09:30 NY is 06:30 LA -> not yet.
    rules = ClinicWindow(ClinicCalendar("America/New_York", time(9), time(19), EVERY_DAY))
    at = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)  # 09:30 EDT
    assert is_callable(rules, "America/New_York", at)
    assert why_not_callable(rules, "America/Los_Angeles", at) == "outside_window"
    assert is_callable(rules, "America/Los_Angeles", at + timedelta(hours=2))  # 08:30 PDT
    # Phoenix has no DST: in March it is 3 h behind New York, in January 2 h.
    assert not is_callable(rules, "America/Phoenix", datetime(2026, 3, 10, 14, 30, tzinfo=UTC))  # 07:30 MST
    assert is_callable(rules, "America/Phoenix", datetime(2026, 1, 13, 15, 30, tzinfo=UTC))  # 08:30 MST


def test_closed_days_and_state_rules() -> None:
    rules = ClinicWindow(ClinicCalendar("America/Chicago", time(8), time(21), frozenset({7}),
                                        frozenset({date(2026, 12, 24)})), us_state="TX")
    assert why_not_callable(rules, None, datetime(2026, 12, 24, 16, tzinfo=UTC)) == "closed_day"
    assert why_not_callable(rules, None, datetime(2026, 12, 20, 16, tzinfo=UTC)) == "closed_day"  # Sunday
    assert why_not_callable(rules, None, datetime(2026, 12, 22, 14, 30, tzinfo=UTC)) == "outside_window"  # 08:30 TX
    assert is_callable(rules, None, datetime(2026, 12, 22, 15, 0, tzinfo=UTC))  # 09:00
    fl = ClinicWindow(ClinicCalendar("America/New_York", time(8), time(21), EVERY_DAY), us_state="FL")
    assert not is_callable(fl, None, datetime(2026, 3, 10, 0, 30, tzinfo=UTC))  # 20:30 EDT: FL stops at 20:00


def test_patient_state_comes_from_the_area_code() -> None:
    from dialer.patient_state import state_for_phone, state_from_description

    assert state_from_description("California") == "CA"
    assert state_from_description("San Francisco, CA") == "CA"
    assert state_from_description("Washington State") == "WA"
    assert state_from_description("Washington D.C.") == "DC"
    assert state_from_description("British Columbia") is None and state_from_description("") is None
    assert state_for_phone("+13055550100") == "FL"
    assert state_for_phone("+12145550100") == "TX"
    assert state_for_phone("+12125550199") == "NY"
    assert state_for_phone("+14015550100") == "RI"
    # Toll-free, Canada, missing: unknown, so only the clinic's rule applies.
    assert state_for_phone("+18005550100") is None
    assert state_for_phone("+16045550100") is None
    assert state_for_phone(None) is None


def test_strictest_of_clinic_and_patient_state_rules() -> None:
    """A New York clinic (no state rule) calling a Florida number: FL stops at 20:00 patient time; a Texas
    clinic calling a Rhode Island number on a Sunday: RI has no Sunday calls at all; both rules apply."""
    ny = ClinicWindow(ClinicCalendar("America/New_York", time(8), time(21), EVERY_DAY), us_state="NY")
    at_2030 = datetime(2026, 3, 11, 0, 30, tzinfo=UTC)  # 20:30 EDT Tuesday
    assert is_callable(ny, None, at_2030)
    assert is_callable(ny, None, at_2030, patient_state="NY")
    assert why_not_callable(ny, None, at_2030, patient_state="FL") == "outside_window"
    assert is_callable(ny, None, at_2030 - timedelta(hours=1), patient_state="FL")
    tx = ClinicWindow(ClinicCalendar("America/Chicago", time(8), time(21), EVERY_DAY), us_state="TX")
    sunday_1pm_ct = datetime(2026, 3, 15, 18, 0, tzinfo=UTC)  # 14:00 EDT in RI, 13:00 CDT in TX
    assert is_callable(tx, "America/Chicago", sunday_1pm_ct)
    assert why_not_callable(tx, "America/New_York", sunday_1pm_ct, patient_state="RI") == "closed_day"
    # The clinic's stricter rule still applies to an out-of-state patient: TX Sunday starts at noon.
    sunday_11am_ct = datetime(2026, 3, 15, 16, 0, tzinfo=UTC)
    assert why_not_callable(tx, "America/Chicago", sunday_11am_ct, patient_state="CA") == "outside_window"
    from dialer.calling_window import state_rules_for
    from dialer.state_rules import STATE_RULES as R

    assert state_rules_for("TX", "RI") == [R["RI"], R["TX"]]
    assert state_rules_for("tx", "TX") == [R["TX"]] and state_rules_for(None, None) == []
    assert state_rules_for("NY", "FL") == [R["FL"]]


@settings(max_examples=200, deadline=None)
@given(at=instants, clinic_state=st.sampled_from([None, *STATE_RULES]),
       patient_state=st.sampled_from([None, *STATE_RULES]))
def test_patient_state_only_ever_narrows_the_window(at, clinic_state, patient_state) -> None:
    rules = ClinicWindow(ClinicCalendar("America/New_York", time(0), time(23, 59), EVERY_DAY), us_state=clinic_state)
    with_patient = is_callable(rules, "America/Denver", at, patient_state)
    assert not with_patient or is_callable(rules, "America/Denver", at)
    if patient_state:
        alone = ClinicWindow(ClinicCalendar("America/New_York", time(0), time(23, 59), EVERY_DAY),
                             us_state=patient_state)
        assert not with_patient or is_callable(alone, "America/Denver", at)


def test_planner_applies_the_patients_state_rule(conn, make_clinic) -> None:
    """Through the real planner: a New York clinic at 20:30 dials a New York number but not a Florida one."""
    from dialer import planner
    from tests.dialer.factories import appointment

    c = make_clinic(calling_hours="08:00-21:00")
    c = conn.execute("SELECT * FROM clinics WHERE id = %s", (c["id"],)).fetchone()
    at_2030 = datetime(2026, 3, 11, 0, 30, tzinfo=UTC)
    appointment(conn, c["id"], "ny", at_2030 + timedelta(days=2), phone="+12125550111")
    appointment(conn, c["id"], "fl", at_2030 + timedelta(days=2), phone="+13055550111")
    conn.commit()
    dry = planner.explain(conn, c, at_2030)
    assert [d["external_id"] for d in dry.dial] == ["ny"]
    assert dry.skipped == [{"external_id": "fl", "appointment_id": dry.skipped[0]["appointment_id"],
                            "reason": "outside_window"}]
    assert [d["external_id"] for d in planner.plan_clinic(conn, c, at_2030).dial] == ["ny"]
