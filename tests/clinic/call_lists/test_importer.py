"""The bulk import against real Postgres: counts, idempotency, moved appointments, slots, concurrency,
whole-file failures and the stored report."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from clinic import slots
from clinic.call_lists import ImportReport, WholeFileError, import_call_list, importer
from clinic.settings import get_settings
from tests.clinic.call_lists.conftest import HEADER, NOW, appointments

Conn = psycopg.Connection[dict[str, Any]]
Run = Callable[..., ImportReport]

GOOD = (f"{HEADER}\n"
        "A1,José García,(212) 555-0142,2027-03-03 14:30,30,Dr. Patel,Main,,\n"
        "A2,Ann Lee,212-555-0143,03/04/2027 9:00 AM,45,Dr. Patel,Main,America/Chicago,\"Bring labs, fasting\"\n"
        "A3,Bob Stone,+1 646 555 0100,2027-03-05T10:00:00-05:00,,Dr. Nguyen,,,\n")


def test_imports_good_rows_and_stores_e164_utc_and_report(run_import: Run, conn: Conn, clinic: dict[str, Any]) -> None:
    report = run_import(GOOD)
    assert (report.imported, report.updated, report.unchanged, report.rejected, report.errors) == (3, 0, 0, 0, [])
    rows = {r["external_id"]: r for r in appointments(conn)}
    assert rows["A1"]["phone"] == "+12125550142" and rows["A1"]["full_name"] == "José García"
    assert rows["A1"]["starts_at"] == datetime(2027, 3, 3, 19, 30, tzinfo=UTC)
    assert rows["A2"]["starts_at"] == datetime(2027, 3, 4, 15, 0, tzinfo=UTC)  # 9:00 Chicago
    assert rows["A2"]["timezone"] == "America/Chicago" and rows["A2"]["notes"] == "Bring labs, fasting"
    assert rows["A3"]["duration_minutes"] == 30
    assert all(r["status"] == "pending" and r["call_list_id"] == report.call_list_id for r in rows.values())
    stored = conn.execute("SELECT * FROM call_lists WHERE id = %s", (report.call_list_id,)).fetchone()
    assert stored is not None
    assert (stored["status"], stored["imported"], stored["rejected"], stored["total_rows"]) == ("completed", 3, 0, 3)
    assert stored["clinic_id"] == clinic["id"] and stored["sha256"] and stored["completed_at"]
    event = conn.execute("SELECT data FROM events WHERE kind = 'call_list.imported'").fetchone()
    assert event is not None and event["data"]["imported"] == 3
    assert "José" not in str(event["data"])  # no PHI in the audit row


def test_good_rows_import_when_others_fail_with_file_line_numbers(run_import: Run, conn: Conn) -> None:
    content = (f"{HEADER}\r\n"
               "\r\n"                                                                   # line 2: blank
               "A1,Ann,2125550142,2027-03-03 14:30,,,,,\r\n"                            # 3 ok
               'A2,Bob,2125550143,2027-03-03 14:30,,,,,"two\r\nline note"\r\n'          # 4-5 ok
               "A3,,2125550144,2027-03-03 14:30,,,,,\r\n"                               # 6 no name
               'A4,"Cy\r\nDee",555,2027-03-03 14:30,,,,,\r\n'                          # 7-8 bad phone
               "A5,Eve,2125550146,2020-01-01 10:00,,,,,\r\n"                            # 9 past
               "A6,Fay,2125550147,2027-03-03 14:30,,,,Mars/Base,\r\n"                   # 10 bad zone
               "A7,Gus,2125550148,2027-03-03 14:30,0,,,,\r\n"                           # 11 duration
               "A8,Hal,2125550149,,,,,,\r\n"                                            # 12 no start
               ",,,,,,,,\r\n"                                                           # 13: empty row
               "A9,Ida,2125550150,2027-03-03 14:30,abc,,,,\r\n")                        # 14 duration
    report = run_import(content)
    assert (report.imported, report.rejected) == (2, 7)
    assert [(e["row"], e["column"]) for e in report.errors] == [
        (6, "patient_name"), (7, "phone"), (9, "appointment_start"), (10, "timezone"), (11, "duration_minutes"),
        (12, "appointment_start"), (14, "duration_minutes")]
    assert [r["external_id"] for r in appointments(conn)] == ["A1", "A2"]
    assert appointments(conn)[1]["notes"] == "two\r\nline note"


def test_windows_1252_semicolon_bom_and_aliases(run_import: Run, conn: Conn) -> None:
    data = ("Appt ID;Patient;Mobile;Date;Time;Doctor;Persona\r\n"
            "X1;José Muñoz;212 555 0142;03/03/2027;2:30 PM;Dr. Patel;chatty\r\n").encode("cp1252")
    assert run_import(data).imported == 1
    row = appointments(conn)[0]
    assert row["full_name"] == "José Muñoz" and row["provider"] == "Dr. Patel"
    assert row["starts_at"] == datetime(2027, 3, 3, 19, 30, tzinfo=UTC)

    bom = b"\xef\xbb\xbf" + ("external_id\tpatient_name\tphone\tappointment_start\n"
                             "X2\tZoë\t2125550143\t2027-03-04 9:00\n").encode()
    assert run_import(bom).imported == 1


def test_duplicate_ids_in_one_file_import_once_and_report_the_later_row(run_import: Run, conn: Conn) -> None:
    content = (f"{HEADER}\n"
               "A1,Ann,2125550142,2027-03-03 14:30,,,,,\n"
               "A2,Bob,2125550143,2027-03-03 15:00,,,,,\n"
               "A1,Ann B,2125550144,2027-03-04 14:30,,,,,\n")
    report = run_import(content)
    assert (report.imported, report.rejected) == (2, 1)
    assert report.errors == [{"row": 4, "column": "external_id",
                              "message": "duplicate external_id: line 2 has the same id; this row was not imported"}]
    assert appointments(conn)[0]["full_name"] == "Ann"


def test_reupload_is_idempotent(run_import: Run, conn: Conn) -> None:
    run_import(GOOD)
    before = appointments(conn)
    patients = conn.execute("SELECT count(*) AS n FROM patients").fetchone()
    report = run_import(GOOD, now=NOW + timedelta(hours=1))
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (0, 0, 3, 0)
    after = appointments(conn)
    assert [(a["id"], a["updated_at"], a["row_hash"]) for a in after] == \
           [(b["id"], b["updated_at"], b["row_hash"]) for b in before]
    assert conn.execute("SELECT count(*) AS n FROM patients").fetchone() == patients


def test_changed_rows_update_without_touching_confirmation(run_import: Run, conn: Conn) -> None:
    run_import(GOOD)
    conn.execute("UPDATE appointments SET status = 'confirmed', last_outcome = 'confirmed', attempts_count = 1")
    conn.commit()
    changed = GOOD.replace("Dr. Nguyen,,,", "Dr. Nguyen,Annex,,please call back")
    report = run_import(changed)
    assert (report.imported, report.updated, report.unchanged) == (0, 1, 2)
    a3 = next(a for a in appointments(conn) if a["external_id"] == "A3")
    assert (a3["location"], a3["notes"], a3["status"], a3["attempts_count"]) == (
        "Annex", "please call back", "confirmed", 1)


def _book_slot(conn: Conn, clinic_id: int, provider: str, at: datetime) -> int:
    row = conn.execute("INSERT INTO slots (clinic_id, provider, starts_at) VALUES (%s, %s, %s) RETURNING id",
                       (clinic_id, provider, at)).fetchone()
    assert row is not None
    return row["id"]


def test_moved_time_resets_confirmation_frees_slot_and_keeps_call_history(
        run_import: Run, conn: Conn, clinic: dict[str, Any]) -> None:
    old_slot = _book_slot(conn, clinic["id"], "Dr. Patel", datetime(2027, 3, 3, 19, 30, tzinfo=UTC))
    new_slot = _book_slot(conn, clinic["id"], "Dr. Patel", datetime(2027, 3, 3, 20, 0, tzinfo=UTC))
    conn.commit()
    run_import(GOOD)
    a1 = next(a for a in appointments(conn) if a["external_id"] == "A1")
    assert conn.execute("SELECT appointment_id FROM slots WHERE id = %s", (old_slot,)).fetchone() == {
        "appointment_id": a1["id"]}
    conn.execute("INSERT INTO call_attempts (clinic_id, appointment_id, attempt_number, phone, status, outcome)"
                 " VALUES (%s, %s, 1, %s, 'ended', 'voicemail_left')", (clinic["id"], a1["id"], a1["phone"]))
    conn.execute("UPDATE appointments SET status = 'confirmed', attempts_count = 2, voicemail_left = true,"
                 " next_attempt_at = %s, callback_at = %s WHERE id = %s", (NOW, NOW, a1["id"]))
    conn.commit()

    report = run_import(GOOD.replace("2027-03-03 14:30", "2027-03-03 15:00"))
    assert (report.updated, report.unchanged) == (1, 2)
    moved = next(a for a in appointments(conn) if a["external_id"] == "A1")
    assert moved["id"] == a1["id"]
    assert moved["starts_at"] == datetime(2027, 3, 3, 20, 0, tzinfo=UTC)
    assert (moved["status"], moved["attempts_count"], moved["voicemail_left"], moved["next_attempt_at"],
            moved["callback_at"]) == ("pending", 0, False, None, None)
    assert moved["status_changed_at"] == NOW
    # Staff can see why a confirmed appointment is pending again, and who did it.
    assert conn.execute("SELECT kind, actor, data FROM events WHERE subject_type = 'appointment'"
                        " AND subject_id = %s", (a1["id"],)).fetchall() == [
        {"kind": "appointment.pending", "actor": "cli",
         "data": {"from_status": "confirmed", "reason": "call_list_moved_appointment"}}]
    assert conn.execute("SELECT count(*) AS n FROM call_attempts WHERE appointment_id = %s",
                        (a1["id"],)).fetchone() == {"n": 1}
    assert conn.execute("SELECT appointment_id FROM slots WHERE id = %s", (old_slot,)).fetchone() == {
        "appointment_id": None}
    assert conn.execute("SELECT appointment_id FROM slots WHERE id = %s", (new_slot,)).fetchone() == {
        "appointment_id": a1["id"]}


def test_appointment_the_agent_rescheduled_is_not_moved_back_by_a_stale_file(run_import: Run, conn: Conn) -> None:
    run_import(GOOD)
    new_time = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
    conn.execute("UPDATE appointments SET starts_at = %s, status = 'rescheduled' WHERE external_id = 'A1'",
                 (new_time,))
    conn.commit()
    # The clinic's next export still has the old time for A1 but a changed note.
    report = run_import(GOOD.replace("Dr. Patel,Main,,\n", "Dr. Patel,Main,,new note\n", 1))
    assert report.updated == 1
    a1 = next(a for a in appointments(conn) if a["external_id"] == "A1")
    assert (a1["starts_at"], a1["status"], a1["notes"]) == (new_time, "rescheduled", "new note")


def test_upload_catching_up_with_the_agents_reschedule_keeps_the_confirmation(run_import: Run, conn: Conn) -> None:
    run_import(GOOD)
    conn.execute("UPDATE appointments SET starts_at = '2027-03-03 20:00Z', status = 'rescheduled'"
                 " WHERE external_id = 'A1'")
    conn.commit()
    report = run_import(GOOD.replace("2027-03-03 14:30", "2027-03-03 15:00"))  # the EHR now shows 15:00 EST
    assert report.updated == 1
    a1 = next(a for a in appointments(conn) if a["external_id"] == "A1")
    assert a1["status"] == "rescheduled"


def test_links_slots_at_the_appointment_time(run_import: Run, conn: Conn, clinic: dict[str, Any]) -> None:
    slots.generate(conn, clinic_id=clinic["id"], tz_name=clinic["timezone"], provider="Dr. Patel",
                   start=datetime(2027, 3, 3).date(), end=datetime(2027, 3, 4).date())
    conn.commit()
    run_import(GOOD)
    linked = conn.execute("SELECT count(*) AS n FROM slots WHERE appointment_id IS NOT NULL").fetchone()
    assert linked == {"n": 2}  # A1 (14:30) and A2 (10:00 EST = 9:00 Chicago) with Dr. Patel


def test_two_concurrent_imports_of_the_same_file_create_no_duplicates(db_url: str, clinic: dict[str, Any],
                                                                      conn: Conn) -> None:
    lines = [HEADER] + [f"C{i},Patient {i},212555{i:04d},2027-03-{3 + i % 20:02d} 10:00,,Dr. Patel,,,"
                        for i in range(1, 1500)]
    data = ("\n".join(lines) + "\n").encode()
    reports: list[ImportReport] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            with psycopg.connect(db_url, row_factory=dict_row) as own:
                barrier.wait()
                reports.append(import_call_list(own, clinic, data, filename="same.csv", now=NOW))
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    expected = 1499
    assert [r.errors for r in reports] == [[], []]
    counts = conn.execute("SELECT count(*) AS n, count(DISTINCT external_id) AS d FROM appointments").fetchone()
    assert counts == {"n": expected, "d": expected}
    assert sorted((r.imported, r.unchanged) for r in reports) == [(0, expected), (expected, 0)]
    dupes = conn.execute("SELECT count(*) AS n FROM (SELECT 1 FROM patients GROUP BY clinic_id, phone,"
                         " lower(full_name) HAVING count(*) > 1) d").fetchone()
    assert dupes == {"n": 0}


@pytest.mark.parametrize(("data", "fragment"), [
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00binary", "not a CSV"),
    (b"name,mobile,notes\nAnn,2125550142,x\n", "missing required column(s): external_id"),
    (b"", "empty"),
    (f"{HEADER}\n\n".encode(), "no appointment rows"),
])
def test_whole_file_failures_import_nothing_and_are_stored(run_import: Run, conn: Conn, data: bytes,
                                                           fragment: str) -> None:
    with pytest.raises(WholeFileError) as info:
        run_import(data)
    assert fragment in str(info.value)
    assert appointments(conn) == []
    stored = conn.execute("SELECT * FROM call_lists WHERE id = %s", (info.value.call_list_id,)).fetchone()
    assert stored is not None and stored["status"] == "failed" and fragment in stored["failure_reason"]


def test_over_the_size_limit_is_refused(run_import: Run, conn: Conn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPORT_MAX_BYTES", "100")
    get_settings.cache_clear()
    with pytest.raises(WholeFileError, match="over the 100-byte limit"):
        run_import(GOOD)
    assert appointments(conn) == []


def test_caller_transaction_is_committed_first_so_the_failure_record_survives(
        conn: Conn, clinic: dict[str, Any], db_url: str) -> None:
    conn.execute("SELECT 1")  # the caller left a transaction open
    with pytest.raises(WholeFileError) as info:
        import_call_list(conn, clinic, b"\x00\x01", filename="x.bin", now=NOW)
    conn.rollback()
    with psycopg.connect(db_url) as other:
        assert other.execute("SELECT status FROM call_lists WHERE id = %s",
                             (info.value.call_list_id,)).fetchone() == ("failed",)


def test_unknown_source_is_a_programming_error(run_import: Run) -> None:
    with pytest.raises(ValueError, match="source"):
        run_import(GOOD, source="ftp")


def test_progress_is_reported(run_import: Run) -> None:
    seen: list[tuple[int, int]] = []
    run_import(GOOD, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)


def test_report_json_shape(run_import: Run) -> None:
    report = run_import(GOOD.replace("Bob Stone", ""))
    assert list(report.to_dict()) == ["imported", "updated", "unchanged", "rejected", "errors", "call_list_id"]
    assert '"errors": [{"row": 4, "column": "patient_name"' in report.to_json()


def test_chunked_load_gives_the_same_result_across_chunk_boundaries(run_import: Run, conn: Conn,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "_CHUNK_ROWS", 2)
    content = GOOD + "A4,José García,(212) 555-0142,2027-03-06 09:00,,Dr. Patel,,,\n"  # same patient as A1
    report = run_import(content)
    assert (report.imported, report.rejected) == (4, 0)
    assert conn.execute("SELECT count(*) AS n FROM patients").fetchone() == {"n": 3}
    moved = content.replace("2027-03-06 09:00", "2027-03-06 10:00")
    report = run_import(moved)
    assert (report.imported, report.updated, report.unchanged) == (0, 1, 3)
    events = conn.execute("SELECT data FROM events WHERE kind = 'call_list.imported' ORDER BY id").fetchall()
    assert events[-1]["data"]["moved"] == 1


def test_whole_file_error_found_mid_stream_rolls_back_loaded_chunks(run_import: Run, conn: Conn,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "_CHUNK_ROWS", 2)
    runaway = GOOD + 'A9,"Never closed,2125550199,2027-03-03 14:30,,,,,\n' + "".join(
        f"B{i},Name,2125550100,2027-03-03 14:30,,,,,\n" for i in range(60))
    with pytest.raises(WholeFileError, match="line 5: a double quote") as info:
        run_import(runaway)
    assert appointments(conn) == []
    assert conn.execute("SELECT count(*) AS n FROM patients").fetchone() == {"n": 0}
    stored = conn.execute("SELECT status, failure_reason FROM call_lists WHERE id = %s",
                          (info.value.call_list_id,)).fetchone()
    assert stored is not None and stored["status"] == "failed" and "missing closing quote" in stored["failure_reason"]
    assert conn.execute("SELECT count(*) AS n FROM call_lists").fetchone() == {"n": 1}
