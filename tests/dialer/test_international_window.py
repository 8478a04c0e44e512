"""Issue 14 item 2: the 08:00-21:00 rule holds in the patient's own time for numbers from any country.

A row without a time zone takes the zones of its number's country and prefix (libphonenumber), and a call
starts only when every one of them is inside 08:00-21:00; a row with a zone uses that zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.calling_calendar import ClinicCalendar
from dialer.calling_window import ClinicWindow, is_callable, patient_zones, zones_for_number

REGIONS = ["US", "CA", "JP", "GB", "AU", "BR", "RU", "IN", "NZ", "DE", "MX", "ZA", "CN", "AR", "KE", "FR", "ES",
           "ID", "US", "PH", "IS", "NP"]
CLINIC_ZONES = ["America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Europe/London", "Asia/Tokyo",
                "Australia/Sydney"]


def _example(region: str, kind: str) -> str | None:
    number = (phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE) if kind == "mobile"
              else phonenumbers.example_number(region))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None


NUMBERS = sorted({n for r in REGIONS for k in ("fixed", "mobile") if (n := _example(r, k))}
                 | {"+81312345678", "+14155550132", "+12125550100", "+18085550100", "+61412345678"})


@settings(max_examples=400, deadline=None)
@given(phone=st.sampled_from(NUMBERS), clinic_tz=st.sampled_from(CLINIC_ZONES),
       row_tz=st.one_of(st.none(), st.sampled_from(["Asia/Kolkata", "America/Denver", "Europe/Moscow",
                                                    "Pacific/Auckland", "Asia/Kathmandu"])),
       at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)))
def test_never_a_call_outside_8_to_21_patient_local(phone, clinic_tz, row_tz, at) -> None:
    rules = ClinicWindow(ClinicCalendar(clinic_tz, time(0), time(23, 59), frozenset()))  # clinic allows all day
    if not is_callable(rules, row_tz, at, phone=phone):
        return
    zones = [row_tz] if row_tz else (zones_for_number(phone) or [clinic_tz])
    for zone in zones:
        local = at.astimezone(ZoneInfo(zone)).time()
        assert time(8) <= local < time(21), (phone, zone, at)


def test_tokyo_number_is_not_called_at_ten_new_york() -> None:
    """The issue's case: +81 3-1234-5678 dialed at 10:00 New York time, midnight in Tokyo."""
    ny = ClinicWindow(ClinicCalendar("America/New_York", time(9), time(19), frozenset()))
    ten_ny = datetime(2027, 2, 10, 10, tzinfo=ZoneInfo("America/New_York"))
    assert patient_zones(None, "+81312345678", "America/New_York") == ("Asia/Tokyo",)
    assert not is_callable(ny, None, ten_ny, phone="+81312345678")
    # 18:30 New York is 08:30 in Tokyo: callable (inside both the clinic's hours and the patient's day)
    assert is_callable(ny, None, ten_ny + timedelta(hours=8, minutes=30), phone="+81312345678")
    # The row's own zone wins when given
    assert is_callable(ny, "America/New_York", ten_ny, phone="+81312345678")


def test_a_prefix_spanning_zones_must_be_inside_the_window_in_all_of_them() -> None:
    zones = zones_for_number("+61412345678")  # Australian mobile: Perth to Lord Howe
    assert {"Australia/Perth", "Australia/Sydney"} <= set(zones)
    wide = ClinicWindow(ClinicCalendar("Australia/Sydney", time(0), time(23, 59), frozenset()))
    eight_sydney = datetime(2027, 6, 9, 8, 30, tzinfo=ZoneInfo("Australia/Sydney"))  # 06:30 in Perth
    assert not is_callable(wide, None, eight_sydney, phone="+61412345678")
    assert is_callable(wide, None, eight_sydney + timedelta(hours=3), phone="+61412345678")


def test_the_planner_does_not_dial_tokyo_at_ten_new_york(conn, make_clinic) -> None:
    """The issue's night, end to end through the import and the planner's dry run."""
    from clinic.call_lists import import_call_list
    from dialer import planner

    clinic = make_clinic("ny", timezone="America/New_York")
    ten_ny = datetime(2027, 2, 9, 15, 0, tzinfo=UTC)  # Tuesday 10:00 New York = Wednesday 00:00 Tokyo
    report = import_call_list(conn, clinic, b"external_id,patient_name,phone,appointment_start\n"
                              b"T1,Kenji Sato,+81 3-1234-5678,2027-02-11T10:00:00-05:00\n"
                              b"N1,Ann Lee,+1 212 555 0142,2027-02-11T10:00:00-05:00\n", filename="l.csv",
                              now=ten_ny - timedelta(days=5))
    assert report.imported == 2
    row = conn.execute("SELECT * FROM clinics WHERE id = %s", (clinic["id"],)).fetchone()
    at_ten = planner.explain(conn, row, ten_ny)
    assert [d["external_id"] for d in at_ten.dial] == ["N1"]
    assert {s["external_id"]: s["reason"] for s in at_ten.skipped} == {"T1": "outside_window"}
    at_six_pm = planner.explain(conn, row, ten_ny + timedelta(hours=8, minutes=30))  # 08:30 in Tokyo
    assert "T1" in [d["external_id"] for d in at_six_pm.dial]
