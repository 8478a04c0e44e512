"""Header line -> which file column holds which call-list field.

Header names are matched case-insensitively with spaces, underscores, dashes and dots folded away, so
`Patient Name`, `patient_name`, `PATIENT-NAME` and `PatientName` are the same column. Each field also has
aliases seen in real scheduling-system exports (documented in docs/import.md). Unknown columns, and the
`persona` column the simulator uses, are ignored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clinic.call_lists.report import WholeFileError

# Canonical field -> accepted header names, in order of preference (the first present wins when a file
# has two columns for the same field, e.g. both `Phone` and `Mobile`).
ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "appointment_id", "appt_id", "appointment_number", "appt_no",
                    "booking_id", "visit_id", "encounter_id", "id"),
    "patient_name": ("patient_name", "name", "patient", "full_name", "patient_full_name"),
    "first_name": ("first_name", "patient_first_name", "given_name", "firstname"),
    "last_name": ("last_name", "patient_last_name", "surname", "family_name", "lastname"),
    "phone": ("phone", "phone_number", "patient_phone", "mobile", "mobile_phone", "mobile_number", "cell",
              "cell_phone", "cellphone", "telephone", "tel", "contact_number", "phone_e164"),
    "appointment_start": ("appointment_start", "start", "starts_at", "start_time", "appointment_time",
                          "appointment_datetime", "appt_time", "appointment", "datetime", "date_time",
                          "scheduled_at", "scheduled_time"),
    "appointment_date": ("appointment_date", "date", "appt_date", "visit_date", "start_date"),
    "appointment_clock": ("time", "visit_time", "time_of_day", "appt_start_time"),
    "duration_minutes": ("duration_minutes", "duration", "duration_min", "duration_mins", "length_minutes",
                         "length", "minutes", "mins"),
    "provider": ("provider", "provider_name", "doctor", "physician", "clinician", "practitioner",
                 "resource"),
    "location": ("location", "office", "site", "clinic_location", "room", "department"),
    "timezone": ("timezone", "time_zone", "tz", "patient_timezone", "iana_timezone"),
    "notes": ("notes", "note", "comments", "comment", "reason", "visit_reason", "appointment_type"),
}

IGNORED = frozenset({"persona"})  # used by the simulator's sample files; never imported


def fold(name: str) -> str:
    """`  Patient-Name ` -> `patientname`: the comparison key for header names."""
    return re.sub(r"[\s_\-.]+", "", name.replace("\ufeff", "").strip().lower())


_LOOKUP: dict[str, tuple[str, int]] = {}
for _field, _names in ALIASES.items():
    for _rank, _name in enumerate(_names):
        _LOOKUP.setdefault(fold(_name), (_field, _rank))


@dataclass(frozen=True)
class ColumnMap:
    """Index of each recognised field in a record, plus what the file had that we ignore."""

    index: dict[str, int]
    header: list[str]
    ignored: list[str] = field(default_factory=list)


def map_header(header: list[str]) -> ColumnMap:
    """Recognise the header line; raise WholeFileError naming every missing required column."""
    best: dict[str, tuple[int, int]] = {}  # field -> (rank, column index)
    ignored: list[str] = []
    for i, raw in enumerate(header):
        key = fold(raw)
        hit = _LOOKUP.get(key)
        if hit is None:
            if key:
                ignored.append(raw.strip())
            continue
        name, rank = hit
        if name not in best or rank < best[name][0]:
            best[name] = (rank, i)
    index = {name: col for name, (_, col) in best.items()}
    # A bare "time" column next to no "date" column is the full start (e.g. "2027-03-03 14:30").
    if "appointment_start" not in index and "appointment_clock" in index and "appointment_date" not in index:
        index["appointment_start"] = index.pop("appointment_clock")

    missing = []
    if "external_id" not in index:
        missing.append("external_id (aliases: appointment_id, id, ...)")
    if "patient_name" not in index and not ("first_name" in index and "last_name" in index):
        missing.append("patient_name (or first_name and last_name)")
    if "phone" not in index:
        missing.append("phone (aliases: phone_number, mobile, cell, ...)")
    if "appointment_start" not in index and not ("appointment_date" in index and "appointment_clock" in index):
        missing.append("appointment_start (or appointment_date and appointment_time)")
    if missing:
        seen = ", ".join(repr(h.strip()) for h in header if h.strip()) or "nothing"
        raise WholeFileError(
            "missing required column(s): " + "; ".join(missing)
            + f". The header line has {seen}. Rename the columns (see docs/import.md for accepted names) "
            "and upload again."
        )
    return ColumnMap(index=index, header=header, ignored=[h for h in ignored if fold(h) not in IGNORED])
