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
        row = conn.execute("SELECT ca.*, a.status AS appointment_status, a.is_test FROM call_attempts ca"
                           " JOIN appointments a ON a.id = ca.appointment_id WHERE ca.id = %s",
                           (attempt_id,)).fetchone()
    assert row is not None
    return row


def test_tester_confirms_by_voice(web_stack: RealCallStack, clinic_key: Any, server: str,
                                  tmp_path: Path) -> None:
    clinic, key = clinic_key
    wav = tester_voice.write(tmp_path / "confirmer.wav", CONFIRMER, ARTIFACTS / ".voice-cache")
    with chromium_page([f"--use-file-for-fake-audio-capture={wav}"]) as page:
        sign_in(page, server, key, "test-call")
        page.get_by_role("link", name="Test call").click()
        page.get_by_label("Patient name").fill(PATIENT)
        with page.expect_response(lambda r: r.url.endswith("/api/test-calls/web")) as resp:
            page.get_by_test_id("start-call").click()
        assert resp.value.status == 201
        attempt_id = int(resp.value.json()["attempt_id"])
        page.get_by_test_id("call-status").filter(has_text="On the call").wait_for(timeout=15000)
        transcript = page.get_by_test_id("live-transcript")
        transcript.locator("li.turn.agent").first.wait_for(timeout=60000)
        started = time.monotonic()
        page.screenshot(path=str(ARTIFACTS / "browser-call-1-greeting.png"), full_page=True)
        assert clinic["name"] in transcript.locator("li.turn.agent").first.inner_text()
        page.get_by_test_id("final-outcome").wait_for(timeout=180000)
        page.screenshot(path=str(ARTIFACTS / "browser-call-2-outcome.png"), full_page=True)
        print(f"greeting to outcome: {time.monotonic() - started:.1f} s")
        assert transcript.locator("li.turn.patient").count() >= 1
        tools = page.get_by_test_id("tool-events")
        assert tools.locator("[data-tool=confirm_appointment][data-status=success]").count() == 1
        assert "Confirmed" in page.get_by_test_id("final-outcome").inner_text()
        page.get_by_test_id("call-view").wait_for(timeout=30000)
        page.screenshot(path=str(ARTIFACTS / "browser-call-3-call-view.png"), full_page=True)
    row = _attempt(web_stack, attempt_id)
    assert row["outcome"] == "confirmed" and row["appointment_status"] == "confirmed" and row["is_test"]
    assert row["mode"] == "web"
