"""Header recognition: folding, aliases, ignored columns, missing required columns."""

from __future__ import annotations

import pytest

from clinic.call_lists.columns import fold, map_header
from clinic.call_lists.report import WholeFileError


@pytest.mark.parametrize("name", ["Patient Name", "patient_name", "PATIENT-NAME", "PatientName", " patient.name ",
                                  "\ufeffpatient_name"])
def test_fold_ignores_case_spaces_underscores_dashes(name: str) -> None:
    assert fold(name) == "patientname"


@pytest.mark.parametrize(("header", "field", "index"), [
    (["Appointment ID", "Name", "Mobile", "Start"], "phone", 2),
    (["id", "patient", "cell", "appointment_time"], "appointment_start", 3),
    (["MRN", "Appt ID", "Full Name", "Phone Number", "DateTime"], "external_id", 1),
    (["id", "patient", "cell", "datetime", "Doctor", "Office", "Time Zone", "Comments", "Length"], "provider", 4),
    (["id", "patient", "cell", "datetime", "Doctor", "Office", "Time Zone", "Comments", "Length"], "timezone", 6),
    (["id", "patient", "cell", "datetime", "Doctor", "Office", "Time Zone", "Comments", "Length"],
     "duration_minutes", 8),
])
def test_aliases(header: list[str], field: str, index: int) -> None:
    assert map_header(header).index[field] == index


def test_persona_and_unknown_columns_are_ignored() -> None:
    cols = map_header(["external_id", "patient_name", "phone", "appointment_start", "persona", "Insurance"])
    assert "persona" not in cols.index
    assert cols.ignored == ["Insurance"]


def test_canonical_name_wins_over_alias_when_both_present() -> None:
    cols = map_header(["id", "name", "mobile", "phone", "start"])
    assert cols.index["phone"] == 3


def test_separate_date_and_time_columns() -> None:
    cols = map_header(["id", "name", "phone", "Date", "Time"])
    assert cols.index["appointment_date"] == 3
    assert cols.index["appointment_clock"] == 4


def test_first_and_last_name_stand_in_for_patient_name() -> None:
    cols = map_header(["id", "First Name", "Last Name", "phone", "start"])
    assert cols.index["first_name"] == 1 and cols.index["last_name"] == 2


def test_missing_required_columns_are_all_named() -> None:
    with pytest.raises(WholeFileError) as info:
        map_header(["Name", "Comments"])
    message = str(info.value)
    assert "external_id" in message and "phone" in message and "appointment_start" in message
    assert "patient_name" not in message.split("The header line")[0]
    assert "'Name', 'Comments'" in message


def test_date_without_time_column_is_missing_the_start() -> None:
    with pytest.raises(WholeFileError, match="appointment_start"):
        map_header(["id", "name", "phone", "date"])
