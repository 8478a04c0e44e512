"""The page's browser test call, for real: Debian's headless Chromium joins a room on the real LiveKit server
with a fake microphone playing a tester's WAV; LiveKit dispatches the real agent worker (web mode, the same
call driver, tools and outcome rules as a phone call) from the token's RoomConfiguration; the page shows what
the data channel carries and the database holds the outcome.

No phone network and no dialer here: the tester is already in the room. Screenshots of each step go to
test-artifacts/ (one is copied to docs/ for the README by hand when the page changes)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from clinic import clinics
from clinic.clock import SharedSimClock, set_clock
from clinic.settings import get_settings
from sim import tester_voice
from sim.real_call import RealCallStack, ready_clinic
from tests.token_server.browser import ARTIFACTS, chromium_page, sign_in, token_server

pytestmark = [pytest.mark.real_stack, pytest.mark.browser, pytest.mark.timeout(600)]

PATIENT = "Jordan Rivera"
# The fake microphone loops this from the moment the page opens it. The pauses outlast the agent's greeting
# and its next turn; a line heard again on the next loop is still a sensible answer.
CONFIRMER = ["pause 10", "Yes, this is Jordan.", "pause 13", "Yes, I'll be there.", "pause 14"]
RESCHEDULER = ["pause 10", "Yes, this is Jordan.", "pause 13",
               "I can't make it then. Can we move it to sometime next week?", "pause 20",
               "The first one, please.", "pause 14"]


@pytest.fixture(scope="module")
def web_stack(real_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCallStack]:
    """The real LiveKit server (shared), the local speech server (shared) and one agent worker of this module."""
    workdir = Path(tmp_path_factory.mktemp("browser-call"))
    with RealCallStack(database_url=real_db, workdir=workdir, personas={}, phone_network=False,
                       processes=("agent",)) as s:
        yield s


@pytest.fixture(scope="module")
def clinic_key(web_stack: RealCallStack) -> tuple[dict[str, Any], str]:
    with psycopg.connect(web_stack.database_url, row_factory=dict_row) as conn:
        # Rooms are `call-<attempt id>` on a LiveKit server other test runs share: start this database's ids
        # far from theirs, or the page would walk into another run's `call-1`.
        conn.execute("SELECT setval('call_attempts_id_seq', %s)", (secrets.randbelow(10**9) + 10**6,))
        row = ready_clinic(conn, "browser-call")
        key = clinics.create_api_key(conn, row["id"], label="browser test").key
        conn.commit()
    return row, key


@pytest.fixture(scope="module")
def server(web_stack: RealCallStack, clinic_key: Any) -> Iterator[str]:
    """The token server on the module's database, minting tokens that dispatch this module's agent, on the
    stack's clock (the agent's)."""
    assert web_stack.endpoints is not None
    ep = web_stack.endpoints
    with pytest.MonkeyPatch.context() as mp:
        for k, v in {"DATABASE_URL": web_stack.database_url, "LIVEKIT_URL": ep.http_url,
                     "LIVEKIT_API_KEY": ep.api_key, "LIVEKIT_API_SECRET": ep.api_secret,
                     "AGENT_NAME": web_stack.agent_name, "TEST_CALLS_PER_MINUTE": "100",
                     "RATE_LIMIT_KEY_PREFIX": f"{web_stack.name}:rl:"}.items():
            mp.setenv(k, v)
        mp.delenv("LIVEKIT_PUBLIC_URL", raising=False)
        get_settings.cache_clear()
        set_clock(SharedSimClock(web_stack.redis_url, web_stack.clock_key))
        try:
            with token_server() as url:
                yield url
        finally:
            set_clock(None)
            get_settings.cache_clear()


def _attempt(stack: RealCallStack, attempt_id: int) -> dict[str, Any]:
    with stack.connect() as conn:
        row = conn.execute("SELECT ca.*, a.status AS appointment_status, a.is_test,"
                           " a.starts_at AS appointment_starts_at FROM call_attempts ca"
                           " JOIN appointments a ON a.id = ca.appointment_id WHERE ca.id = %s",
                           (attempt_id,)).fetchone()
    assert row is not None
    return row


def _start(page: Any, server: str, key: str, *, patient: str | None = None, appointment: int | None = None) -> int:
    """Sign in, open the test-call page, start a call; returns the attempt id the token server created."""
    sign_in(page, server, key, "test-call")
    page.get_by_role("link", name="Test call").click()
    if appointment is not None:
        page.get_by_test_id("appointment-select").select_option(str(appointment))
    else:
        page.get_by_label("Patient name").fill(patient or PATIENT)
    with page.expect_response(lambda r: r.url.endswith("/api/test-calls/web")) as resp:
        page.get_by_test_id("start-call").click()
    assert resp.value.status == 201
    return int(resp.value.json()["attempt_id"])


def _peak(page: Any, who: str) -> str:
    return f"Number(document.querySelector('[data-testid=meter-{who}]')?.dataset.peak || 0) > 0.05"


def _talk_until_the_outcome(page: Any, clinic: dict[str, Any], shots: str) -> Any:
    """The greeting arrives as text and as sound, the tester's voice reaches the agent, the call ends in an
    outcome and opens in the call view. Returns the transcript locator."""
    page.get_by_test_id("call-status").filter(has_text="On the call").wait_for(timeout=25000)
    transcript = page.get_by_test_id("live-transcript")
    transcript.locator("li.turn.agent").first.wait_for(timeout=60000)
    page.screenshot(path=str(ARTIFACTS / f"{shots}-1-greeting.png"), full_page=True)
    # The greeting names the clinic (and nothing about the appointment before the identity check).
    assert clinic["name"] in transcript.locator("li.turn.agent").first.inner_text()
    page.wait_for_function(_peak(page, "agent"), timeout=20000)      # its sound reached the browser
    assert page.get_by_test_id("agent-state").inner_text().strip() != ""
    transcript.locator("li.turn.patient").first.wait_for(timeout=60000)
    page.wait_for_function(_peak(page, "you"), timeout=5000)         # the fake microphone was heard
    page.screenshot(path=str(ARTIFACTS / f"{shots}-2-talking.png"), full_page=True)
    page.get_by_test_id("final-outcome").wait_for(timeout=240000)
    page.screenshot(path=str(ARTIFACTS / f"{shots}-3-outcome.png"), full_page=True)
    page.get_by_test_id("call-view").wait_for(timeout=30000)
    page.screenshot(path=str(ARTIFACTS / f"{shots}-4-call-view.png"), full_page=True)
    return transcript


def _tool_states(page: Any) -> dict[str, str]:
    items = page.get_by_test_id("tool-events").locator("li[data-tool]")
    return {items.nth(i).get_attribute("data-tool"): items.nth(i).get_attribute("data-status")
            for i in range(items.count())}


def _dashboard_calls(server: str, key: str, day: str) -> int:
    resp = httpx.get(f"{server}/api/stats", params={"date": day}, headers={"Authorization": f"Bearer {key}"})
    resp.raise_for_status()
    return int(resp.json()["calls"])


def test_tester_confirms_by_voice(web_stack: RealCallStack, clinic_key: Any, server: str,
                                  tmp_path: Path) -> None:
    clinic, key = clinic_key
    wav = tester_voice.write(tmp_path / "confirmer.wav", CONFIRMER, ARTIFACTS / ".voice-cache")
    with chromium_page([f"--use-file-for-fake-audio-capture={wav}"]) as page:
        attempt_id = _start(page, server, key)
        started = time.monotonic()
        transcript = _talk_until_the_outcome(page, clinic, "browser-call-confirm")
        print(f"join to outcome: {time.monotonic() - started:.1f} s")
        tools = _tool_states(page)
        assert tools.get("confirm_identity") == "success" and tools.get("confirm_appointment") == "success", tools
        assert "Confirmed" in page.get_by_test_id("final-outcome").inner_text()
        assert "automated assistant" in transcript.inner_text()
    row = _attempt(web_stack, attempt_id)
    assert row["outcome"] == "confirmed" and row["appointment_status"] == "confirmed", row["transcript"]
    assert row["is_test"] and row["mode"] == "web"
    assert row["answered_at"] is not None and row["duration_seconds"] > 5
    # A test call is never one of the clinic's figures.
    day = row["planned_at"].astimezone(ZoneInfo(clinic["timezone"])).date().isoformat()
    assert _dashboard_calls(server, key, day) == 0


def test_tester_reschedules_a_copy_by_voice(web_stack: RealCallStack, clinic_key: Any, server: str,
                                            tmp_path: Path) -> None:
    """Practising on a copy of a real booking: the copy moves, the real appointment and the clinic's free
    slots stay as they were."""
    clinic, key = clinic_key
    with web_stack.connect() as conn:
        real = web_stack.create_attempt(clinic, "+12125550142", patient_name=PATIENT, now=web_stack.clock_now())
        real_appt = conn.execute("SELECT a.* FROM appointments a JOIN call_attempts ca ON ca.appointment_id = a.id"
                                 " WHERE ca.id = %s", (real,)).fetchone()
        conn.execute("DELETE FROM call_attempts WHERE id = %s", (real,))   # only the appointment is wanted
        free_before = conn.execute("SELECT count(*) AS n FROM slots WHERE appointment_id IS NULL").fetchone()["n"]
        conn.commit()
    wav = tester_voice.write(tmp_path / "rescheduler.wav", RESCHEDULER, ARTIFACTS / ".voice-cache")
    with chromium_page([f"--use-file-for-fake-audio-capture={wav}"]) as page:
        attempt_id = _start(page, server, key, appointment=real_appt["id"])
        _talk_until_the_outcome(page, clinic, "browser-call-reschedule")
        tools = _tool_states(page)
        assert tools.get("find_available_slots") == "success" and tools.get("book_slot") == "success", tools
        assert "Rescheduled" in page.get_by_test_id("final-outcome").inner_text()
    row = _attempt(web_stack, attempt_id)
    assert row["outcome"] == "rescheduled" and row["appointment_status"] == "rescheduled", row["transcript"]
    assert row["appointment_id"] != real_appt["id"] and row["appointment_starts_at"] != real_appt["starts_at"]
    with web_stack.connect() as conn:
        after = conn.execute("SELECT status, starts_at FROM appointments WHERE id = %s", (real_appt["id"],)).fetchone()
        free_after = conn.execute("SELECT count(*) AS n FROM slots WHERE appointment_id IS NULL").fetchone()["n"]
    assert after == {"status": "pending", "starts_at": real_appt["starts_at"]}
    assert free_after == free_before


def test_hang_up_ends_the_call_and_the_outcome_is_stored(web_stack: RealCallStack, clinic_key: Any, server: str,
                                                        tmp_path: Path) -> None:
    _, key = clinic_key
    wav = tester_voice.write(tmp_path / "silent.wav", ["pause 30"], ARTIFACTS / ".voice-cache")
    with chromium_page([f"--use-file-for-fake-audio-capture={wav}"]) as page:
        attempt_id = _start(page, server, key)
        page.get_by_test_id("live-transcript").locator("li.turn.agent").first.wait_for(timeout=60000)
        page.get_by_test_id("hang-up").click()
        page.get_by_test_id("call-status").filter(has_text="Call ended.").wait_for(timeout=5000)
        page.get_by_test_id("call-view").wait_for(timeout=30000)
        assert "hung up" in page.get_by_test_id("final-outcome").inner_text().lower()
        assert page.get_by_test_id("start-call").is_enabled()
    row = _attempt(web_stack, attempt_id)
    assert row["outcome"] == "hung_up"


def test_the_page_says_when_the_agent_does_not_answer(web_stack: RealCallStack, clinic_key: Any,
                                                      server: str) -> None:
    """LiveKit answers but no worker takes the job: the page says so within 5 s, what to do, and gives up
    (the attempt ends `failed` with the reason, not left for the reaper)."""
    _, key = clinic_key
    with pytest.MonkeyPatch.context() as mp, chromium_page() as page:
        mp.setenv("AGENT_NAME", f"{web_stack.name}-nobody")
        get_settings.cache_clear()
        attempt_id = _start(page, server, key)
        page.get_by_test_id("call-status").filter(has_text="waiting for the agent").wait_for(timeout=10000)
        joined = time.monotonic()
        message = page.get_by_test_id("call-message")
        message.filter(has_text="agent has not answered").wait_for(timeout=7000)
        assert time.monotonic() - joined < 5.5
        assert "python -m agent start" in message.inner_text()
        page.screenshot(path=str(ARTIFACTS / "test-call-no-agent-warning.png"), full_page=True)
        page.get_by_text("The agent is not answering.").wait_for(timeout=25000)
        assert page.get_by_test_id("start-call").is_enabled()   # staff can try again
        page.screenshot(path=str(ARTIFACTS / "test-call-no-agent.png"), full_page=True)
    get_settings.cache_clear()
    deadline = time.monotonic() + 10
    while (row := _attempt(web_stack, attempt_id))["outcome"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert row["outcome"] == "failed" and "agent never joined" in row["error"]
