"""The page in Debian's headless Chromium (Playwright) against a running token server on the test database.

Screenshots go to test-artifacts/ (gitignored) for a human to look at after a run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.token_server.browser import ARTIFACTS, chromium_page, sign_in, token_server
from tests.token_server.conftest import SeededClinic, Seeder

pytestmark = pytest.mark.browser


@pytest.fixture
def server(server_env: None) -> Iterator[str]:
    with token_server() as url:
        yield url


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    with chromium_page() as pg:
        yield pg


def _sign_in(page: Any, server: str, clinic: SeededClinic, path: str = "") -> None:
    sign_in(page, server, clinic.key, path)


def test_upload_shows_row_errors(page: Any, server: str, clinic_a: SeededClinic, tmp_path: Path) -> None:
    csv = tmp_path / "tonight.csv"
    csv.write_text("external_id,patient_name,phone,appointment_start\n"
                   "U1,Ann Smith,212-555-0142,2026-03-12T10:00:00-04:00\n"
                   "U2,Bob Jones,12345,2026-03-12T11:00:00-04:00\n"
                   "U3,Cy Young,212-555-0143,not a date\n")
    _sign_in(page, server, clinic_a, "upload")
    page.get_by_test_id("file-input").set_input_files(str(csv))
    report = page.get_by_test_id("import-report")
    report.wait_for()
    assert page.get_by_test_id("rejected-count").inner_text() == "2"
    errors = page.get_by_test_id("row-errors")
    assert errors.locator("tbody tr").count() == 2
    assert "phone" in errors.inner_text() and "appointment_start" in errors.inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download errors CSV").click()
    assert download.value.suggested_filename == "tonight-errors.csv"
    assert "row,column,message" in Path(download.value.path()).read_text()
    page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)


def test_dashboard_shows_seeded_outcomes(page: Any, server: str, clinic_a: SeededClinic, seed: Seeder,
                                         clinic_b: SeededClinic) -> None:
    appts = []
    for name, status, outcome, cost in [("Maria Lopez", "confirmed", "confirmed", 0.31),
                                        ("James Carter", "confirmed", "confirmed", 0.28),
                                        ("Aisha Khan", "rescheduled", "rescheduled", 0.42),
                                        ("Tom Becker", "cancelled", "cancelled", 0.2),
                                        ("Linda Park", "pending", "voicemail_left", 0.12),
                                        ("Omar Haddad", "pending", "no_answer", 0.02)]:
        a = seed.appointment(clinic_a, status=status, last_outcome=outcome, name=name)
        seed.attempt(clinic_a, a, outcome=outcome, cost=cost,
                     transcript=[{"role": "agent", "text": "Hi, this is the clinic's automated assistant."},
                                 {"role": "patient", "text": "Yes, that's me."},
                                 {"role": "tool", "name": "confirm_appointment", "ok": True, "t": 12.5}])
        appts.append(a)
    seed.batch(clinic_a, [*appts, seed.appointment(clinic_a)])
    other = seed.appointment(clinic_b, name="Other Clinic Person")
    seed.attempt(clinic_b, other, outcome="busy")
    page.goto(f"{server}/#key={clinic_a.key}")  # the URL `make demo` prints
    chart = page.get_by_test_id("outcome-chart")
    chart.wait_for()
    assert chart.locator("[data-outcome=confirmed] .bar-value").inner_text() == "2"
    assert chart.locator("[data-outcome=busy]").count() == 0  # another clinic's calls never show
    assert page.get_by_test_id("confirmation-rate").inner_text() == "50%"  # 3 of 6 called
    assert page.get_by_test_id("cost-per-confirmed").inner_text() == "$0.45"  # 1.35 / 3
    assert "6 dialed" in page.get_by_test_id("batch-progress").inner_text()
    table = page.get_by_test_id("calls-table")
    table.locator("tbody tr.clickable").nth(5).wait_for()
    assert table.locator("tbody tr.clickable").count() == 6
    assert "Other Clinic Person" not in table.inner_text()
    assert clinic_a.key not in page.url  # the key left the address bar for session storage
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    table.locator("tbody tr").first.click()
    view = page.get_by_test_id("call-view")
    view.wait_for()
    assert "automated assistant" in view.inner_text() and "confirm_appointment" in view.inner_text()
    page.screenshot(path=str(ARTIFACTS / "call-view.png"), full_page=True)
    page.set_viewport_size({"width": 820, "height": 1180})  # tablet, portrait
    page.screenshot(path=str(ARTIFACTS / "dashboard-tablet.png"), full_page=True)


def test_test_call_says_when_livekit_is_unreachable(page: Any, server: str, clinic_a: SeededClinic,
                                                    conn: Any) -> None:
    _sign_in(page, server, clinic_a, "test-call")
    page.get_by_role("link", name="Test call").click()
    with page.expect_response(lambda r: r.url.endswith("/api/test-calls/web")) as token:
        page.get_by_test_id("start-call").click()
    assert token.value.status == 201
    started = time.monotonic()
    page.get_by_text("Cannot reach LiveKit.").wait_for(timeout=10000)
    assert time.monotonic() - started < 5  # says so promptly instead of hanging
    message = page.get_by_test_id("call-message").inner_text()
    assert "ws://127.0.0.1:9" in message and "sim.livekit_stack status" in message  # which, and what to do
    assert page.get_by_test_id("start-call").is_enabled()  # staff can try again
    page.screenshot(path=str(ARTIFACTS / "test-call-unreachable.png"), full_page=True)
    # The attempt is ended with the reason (not left for the reaper), and never counted: it is a test copy.
    deadline = time.monotonic() + 5
    while True:
        rows = conn.execute("SELECT outcome, error FROM call_attempts WHERE mode = 'web'").fetchall()
        conn.rollback()
        if (rows and rows[0]["outcome"]) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(rows) == 1 and rows[0]["outcome"] == "failed" and "abandoned" in rows[0]["error"]
