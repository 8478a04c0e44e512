"""Pure row rules: formats accepted, and every rejection reason with its line and column."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clinic.call_lists.columns import map_header
from clinic.call_lists.rows import CleanRow, DuplicateIds, RowValidator, parse_clock, parse_start

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
HEADER = ["external_id", "patient_name", "phone", "appointment_start", "duration_minutes", "provider", "location",
          "timezone", "notes"]


def validator(header: list[str] = HEADER, *, tz: str = "America/New_York", country: str = "US") -> RowValidator:
    return RowValidator(map_header(header), clinic_timezone=tz, country=country, now=NOW)


def row(**overrides: str) -> list[str]:
    values = {"external_id": "A1", "patient_name": "José García", "phone": "(212) 555-0142",
              "appointment_start": "2027-03-03 14:30", "duration_minutes": "", "provider": "Dr. Patel",
              "location": "", "timezone": "", "notes": ""}
    values.update(overrides)
    return [values[h] for h in HEADER]


def clean(**overrides: str) -> CleanRow:
    result = validator().validate(7, row(**overrides))
    assert isinstance(result, CleanRow), result
    return result


def errors(**overrides: str) -> list[tuple[int, str, str]]:
    result = validator().validate(7, row(**overrides))
    assert isinstance(result, list), result
    return [(e["row"], e["column"], e["message"]) for e in result]


def test_clean_row() -> None:
    r = clean()
    assert r.phone == "+12125550142"
    assert r.starts_at == datetime(2027, 3, 3, 19, 30, tzinfo=UTC)  # 14:30 EST
    assert r.duration_minutes == 30 and r.provider == "Dr. Patel" and r.location is None
    assert r.line == 7 and len(r.row_hash) == 32


@pytest.mark.parametrize(("text", "expected_utc"), [
    ("2027-03-03T14:30:00-05:00", datetime(2027, 3, 3, 19, 30, tzinfo=UTC)),
    ("2027-03-03T19:30:00Z", datetime(2027, 3, 3, 19, 30, tzinfo=UTC)),
    ("2027-03-03T14:30:00+01:00", datetime(2027, 3, 3, 13, 30, tzinfo=UTC)),
    ("2027-03-03 14:30", datetime(2027, 3, 3, 19, 30, tzinfo=UTC)),
    ("2027-03-03T14:30:00", datetime(2027, 3, 3, 19, 30, tzinfo=UTC)),
    ("03/03/2027 2:30 PM", datetime(2027, 3, 3, 19, 30, tzinfo=UTC)),
    ("3/3/2027 2:30pm", datetime(2027, 3, 3, 19, 30, tzinfo=UTC)),
    ("03/03/27 02:30 p.m.", datetime(2027, 3, 3, 19, 30, tzinfo=UTC)),
    ("03/03/2027 14:30", datetime(2027, 3, 3, 19, 30, tzinfo=UTC)),
    ("03/03/2027 12:05 AM", datetime(2027, 3, 3, 5, 5, tzinfo=UTC)),
    ("2027-03-03 2:30 PM", datetime(2027, 3, 3, 19, 30, tzinfo=UTC)),
    ("2027-07-03 14:30", datetime(2027, 7, 3, 18, 30, tzinfo=UTC)),  # EDT in summer
])
def test_start_formats(text: str, expected_utc: datetime) -> None:
    assert clean(appointment_start=text).starts_at == expected_utc


def test_naive_start_uses_the_rows_timezone_over_the_clinics() -> None:
    r = clean(appointment_start="2027-03-03 14:30", timezone="America/Los_Angeles")
    assert r.starts_at == datetime(2027, 3, 3, 22, 30, tzinfo=UTC)
    assert r.timezone == "America/Los_Angeles"


def test_offset_start_ignores_the_zone_for_the_instant_but_keeps_it() -> None:
    r = clean(appointment_start="2027-03-03T14:30:00-05:00", timezone="America/Chicago")
    assert r.starts_at == datetime(2027, 3, 3, 19, 30, tzinfo=UTC)
    assert r.timezone == "America/Chicago"


def test_separate_date_and_time_columns() -> None:
    v = validator(["id", "name", "phone", "Date", "Time"])
    r = v.validate(2, ["A1", "Ann", "2125550142", "03/03/2027", "9:15 am"])
    assert isinstance(r, CleanRow) and r.starts_at == datetime(2027, 3, 3, 14, 15, tzinfo=UTC)
    bad = v.validate(3, ["A2", "Ann", "2125550142", "2027-02-30", "9:15"])
    assert isinstance(bad, list) and bad[0]["column"] == "appointment_date"
    assert "real calendar date" in bad[0]["message"]


def test_date_column_with_appointment_time_alias_holding_only_the_time() -> None:
    v = validator(["id", "name", "phone", "date", "appointment_time"])
    r = v.validate(2, ["A1", "Ann", "2125550142", "2027-03-03", "14:30"])
    assert isinstance(r, CleanRow) and r.starts_at == datetime(2027, 3, 3, 19, 30, tzinfo=UTC)


def test_first_and_last_name_columns() -> None:
    v = validator(["id", "First Name", "Last Name", "phone", "start"])
    r = v.validate(2, ["A1", " Ann ", "Lee", "2125550142", "2027-03-03 14:30"])
    assert isinstance(r, CleanRow) and r.patient_name == "Ann Lee"


def test_short_record_reads_missing_cells_as_empty() -> None:
    r = validator().validate(4, ["A1", "Ann", "2125550142", "2027-03-03 14:30"])
    assert isinstance(r, CleanRow) and r.duration_minutes == 30 and r.notes is None


@pytest.mark.parametrize(("overrides", "column", "fragment"), [
    ({"patient_name": "  "}, "patient_name", "patient_name is empty"),
    ({"phone": ""}, "phone", "phone is empty"),
    ({"phone": "555-12"}, "phone", "not a valid"),
    ({"phone": "call me"}, "phone", "not a phone number"),
    ({"phone": "(212) 123-4567"}, "phone", "not a valid"),  # exchange 123 does not exist
    ({"appointment_start": ""}, "appointment_start", "appointment_start is empty"),
    ({"appointment_start": "next tuesday"}, "appointment_start", "not a date and time"),
    ({"appointment_start": "2027-03-03"}, "appointment_start", "has a date but no time"),
    ({"appointment_start": "13/45/2027 2:30 PM"}, "appointment_start", "not a real calendar date"),
    ({"appointment_start": "03/03/2027 13:30 PM"}, "appointment_start", "hour must be 1-12"),
    ({"appointment_start": "2027-02-27 10:00"}, "appointment_start", "in the past"),
    ({"appointment_start": "2027-03-01T11:59:00Z"}, "appointment_start", "in the past"),
    ({"appointment_start": "2207-03-03 10:00"}, "appointment_start", "check the year"),
    ({"appointment_start": "2027-03-14 02:30"}, "appointment_start", "does not exist in America/New_York"),
    ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone 'Mars/Olympus'"),
    ({"timezone": "EST5EDTX"}, "timezone", "unknown time zone"),
    ({"duration_minutes": "abc"}, "duration_minutes", "not a number"),
    ({"duration_minutes": "0"}, "duration_minutes", "more than 0"),
    ({"duration_minutes": "-15"}, "duration_minutes", "more than 0"),
    ({"duration_minutes": "nan"}, "duration_minutes", "not a number"),
    ({"duration_minutes": "22.5"}, "duration_minutes", "whole number"),
    ({"duration_minutes": "2000"}, "duration_minutes", "more than a day"),
    ({"external_id": ""}, "external_id", "external_id is empty"),
    ({"external_id": "x" * 201}, "external_id", "longer than 200"),
    ({"notes": "n" * 2001}, "notes", "longer than 2000"),
])
def test_rejections_name_line_and_column(overrides: dict[str, str], column: str, fragment: str) -> None:
    found = errors(**overrides)
    assert len(found) == 1, found
    line, col, message = found[0]
    assert (line, col) == (7, column)
    assert fragment in message


def test_every_problem_in_a_row_is_reported() -> None:
    found = errors(patient_name="", phone="", appointment_start="", duration_minutes="x")
    assert [c for _, c, _ in found] == ["patient_name", "phone", "appointment_start", "duration_minutes"]


def test_unknown_zone_with_naive_start_reports_only_the_zone() -> None:
    assert [c for _, c, _ in errors(timezone="Nowhere/Land")] == ["timezone"]


def test_durations() -> None:
    assert clean(duration_minutes="").duration_minutes == 30
    assert clean(duration_minutes="45").duration_minutes == 45
    assert clean(duration_minutes="60.0").duration_minutes == 60


def test_row_hash_changes_with_any_field_and_not_with_cell_padding() -> None:
    base = clean().row_hash
    assert clean(patient_name="  José   García ").row_hash == base
    assert clean(phone="212.555.0142").row_hash == base  # same E.164
    for field, value in [("notes", "x"), ("duration_minutes", "45"), ("appointment_start", "2027-03-03 14:45"),
                         ("provider", "Dr. No"), ("location", "Annex"), ("timezone", "America/New_York")]:
        assert clean(**{field: value}).row_hash != base, field


def test_international_number_for_a_us_clinic_and_national_number_for_a_uk_clinic() -> None:
    assert clean(phone="+44 20 7946 0958").phone == "+442079460958"
    v = validator(country="GB", tz="Europe/London")
    r = v.validate(2, row(phone="020 7946 0958", appointment_start="2027-03-03 14:30"))
    assert isinstance(r, CleanRow) and r.phone == "+442079460958"
    assert r.starts_at == datetime(2027, 3, 3, 14, 30, tzinfo=UTC)


def test_parse_helpers() -> None:
    assert parse_clock("12:00 PM").hour == 12 and parse_clock("12:00 am").hour == 0 and parse_clock("7 pm").hour == 19
    assert parse_start("2027-03-03T14:30:00-05:00").utcoffset() is not None
    assert parse_start("03/03/2027 2:30 PM").tzinfo is None


def test_duplicate_ids_first_occurrence_owns_the_id() -> None:
    seen = DuplicateIds()
    found = [seen.seen_before(line, key) for line, key in [(2, "A"), (3, "B"), (5, "A"), (6, ""), (7, ""), (9, "A")]]
    assert found == [None, None, 2, None, None, 2]


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError):
        RowValidator(map_header(HEADER), clinic_timezone="UTC", country="US", now=datetime(2027, 1, 1))
