"""Issue 14 items 5, 6 and 11: times written with a dot or comma, one bad byte in a UTF-8 file, and phone
numbers echoed into stored reports and the errors CSV."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from clinic.call_lists import ImportReport
from clinic.call_lists.decoding import decode
from clinic.call_lists.errors_export import errors_csv
from tests.clinic.call_lists.conftest import HEADER, appointments

Conn = psycopg.Connection[dict[str, Any]]
Run = Callable[..., ImportReport]


@pytest.mark.parametrize("start", ["2027-02-10 10.30", "2027-02-10 10,30", "2027-02-10T10.5", "2027-02-10 10:30,5"])
def test_dot_or_comma_times_are_refused_not_stored_as_ten_o_clock(run_import: Run, conn: Conn, start: str) -> None:
    report = run_import(f"{HEADER}\nA1,Ann Lee,2125550142,\"{start}\",,,,,\n"
                        "A2,Bob Roe,2125550143,2027-02-10 10:30,,,,,\n", now=datetime(2027, 1, 5, tzinfo=UTC))
    assert (report.imported, report.rejected) == (1, 1)
    (error,) = report.errors
    assert (error["row"], error["column"]) == (2, "appointment_start")
    assert "colon" in error["message"]
    assert [a["external_id"] for a in appointments(conn)] == ["A2"]
    assert appointments(conn)[0]["starts_at"] == datetime(2027, 2, 10, 15, 30, tzinfo=UTC)  # 10:30 New York


def test_separate_time_column_with_a_dot_is_refused(run_import: Run) -> None:
    report = run_import("external_id,patient_name,phone,appointment_date,appointment_time\n"
                        "A1,Ann Lee,2125550142,2027-02-10,10.30\n", now=datetime(2027, 1, 5, tzinfo=UTC))
    assert report.rejected == 1 and report.errors[0]["column"] == "appointment_time"
    assert "10:30" in report.errors[0]["message"]


def test_one_bad_byte_rejects_its_row_and_keeps_utf8_names_right(run_import: Run, conn: Conn) -> None:
    data = (f"{HEADER}\n".encode()
            + "A1,José García,2125550142,2027-03-03 14:30,,,,,\n".encode()
            + b"A2,Zo\xe9 Bad,2125550143,2027-03-03 14:30,,,,,\n"          # one Windows-1252 byte
            + "A3,Zoë Müller,2125550144,2027-03-03 14:30,,,,,\n".encode())
    report = run_import(data)
    assert (report.imported, report.rejected) == (2, 1)
    assert [(e["row"], e["column"]) for e in report.errors] == [(3, "encoding")]
    assert "0xE9" in report.errors[0]["message"]
    names = {a["external_id"]: a["full_name"] for a in appointments(conn)}
    assert names == {"A1": "José García", "A3": "Zoë Müller"}


def test_encoding_is_decided_per_file_on_evidence() -> None:
    legacy = "id,name\n1,José\n2,Zoë\n".encode("cp1252")
    assert decode(legacy).encoding == "cp1252" and "José" in decode(legacy).text and not decode(legacy).bad_lines
    mostly_utf8 = "id,name\n1,José\n2,Zoë\n".encode() + b"3,Ren\xe9e\r\n4,x\r5,y\n"
    decoded = decode(mostly_utf8)
    assert decoded.encoding == "utf-8" and list(decoded.bad_lines) == [4]
    assert "José" in decoded.text and "Zoë" in decoded.text


def test_phone_numbers_are_masked_in_stored_reports_and_the_errors_csv(run_import: Run, conn: Conn) -> None:
    # A shifted row puts the phone in the time-zone and start columns, which the messages used to quote.
    report = run_import(f"{HEADER}\nA1,Ann Lee,2125550142,+1 (212) 555-0199,,,,+12125550198,\n")
    assert report.rejected == 1
    stored = conn.execute("SELECT errors FROM call_lists WHERE id = %s", (report.call_list_id,)).fetchone()["errors"]
    exported = errors_csv(stored)
    for text in (str(report.errors), str(stored), exported):
        assert "5550199" not in text and "5550198" not in text
        assert "***" in text


def test_old_stored_reports_are_masked_on_export() -> None:
    csv_text = errors_csv([{"row": 2, "column": "timezone", "message": "unknown time zone '+12125550198'"}])
    assert "5550198" not in csv_text and "+1212***0198" in csv_text


def test_fall_back_hour_is_refused_unless_the_row_says_which(run_import: Run, conn: Conn) -> None:
    """Issue 14 item 10: 01:30 on the night the clocks go back happens twice; the row must say which."""
    report = run_import(f"{HEADER}\nA1,Ann Lee,2125550142,2026-11-01 01:30,,,,,\n"
                        "A2,Bob Roe,2125550143,2026-11-01T01:30:00-05:00,,,,,\n",
                        now=datetime(2026, 10, 1, tzinfo=UTC))
    assert (report.imported, report.rejected) == (1, 1)
    (error,) = report.errors
    assert error["row"] == 2 and "happens twice" in error["message"]
    assert "2026-11-01T01:30:00-04:00" in error["message"] and "2026-11-01T01:30:00-05:00" in error["message"]
    assert appointments(conn)[0]["starts_at"] == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # the second 01:30
