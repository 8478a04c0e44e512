"""The production LLM path offline: LiveKit's real `openai.LLM` plugin, built by `brains()` from the settings
(OPENAI_BASE_URL, OPENAI_API_KEY), talks to the local OpenAI-compatible stand-in (sim/local_llm) over HTTP
with streaming tool calls; the call runs through the one call driver in text mode (`run_sim_job`).

Also the `FallbackAdapter` switch mid-call: the endpoint killed, answering 500, or slower than
AGENT_LLM_TIMEOUT_SECONDS; the scripted policy carries the call to the right outcome, and the longest wait
the patient has for the agent's next words (transcript timestamps) stays under 1.5 s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent.far_end import Turn
from agent.session_factory import brains
from clinic.settings import get_settings
from sim.local_llm import LocalLLM, start_local_llm
from tests.agent.conftest import ScriptedFarEnd, agent_lines, appointment

MAX_SILENCE = 1.5
TZ = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalLLM]:
    server = start_local_llm()
    yield server
    server.stop()


def _use(monkeypatch: pytest.MonkeyPatch, server: LocalLLM) -> None:
    """Point the production settings at the stand-in (any key works: it is not checked)."""
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-stand-in")
    get_settings.cache_clear()


@pytest.fixture
def llm_brain(monkeypatch: pytest.MonkeyPatch, endpoint: LocalLLM) -> Iterator[Callable[[Any], Any]]:
    endpoint.set_fault("none")
    _use(monkeypatch, endpoint)
    yield brains
    get_settings.cache_clear()


def tool_calls(result: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(e["name"], json.loads(e["arguments"] or "{}")) for e in result.transcript if e["role"] == "tool"]


def silences(result: Any) -> list[float]:
    """For every patient turn, seconds until the agent's next words (a filler counts: the patient hears it)."""
    gaps: list[float] = []
    entries = result.transcript
    for i, e in enumerate(entries):
        if e["role"] != "patient" or e.get("greeting"):
            continue
        nxt = next((x for x in entries[i + 1:] if x["role"] == "agent"), None)
        if nxt is not None:
            gaps.append(round(nxt["t"] - e["t"], 3))
    return gaps


def _served_by_endpoint(server: LocalLLM, since: int = 0) -> list[dict[str, Any]]:
    return server.requests()[since:]


# ---- the LLM brain end to end ------------------------------------------------------------------------------


def test_confirm_through_the_real_plugin(world, run_call, conn, endpoint, llm_brain):
    before = len(endpoint.requests())
    result = run_call(ScriptedFarEnd(["yes, this is Maria", "yes I'll be there"]), brain=llm_brain)
    assert result.outcome == "confirmed"
    assert [n for n, _ in tool_calls(result)] == ["confirm_identity", "confirm_appointment"]
    assert appointment(conn, world["appointment"]["id"])["status"] == "confirmed"
    served = _served_by_endpoint(endpoint, before)
    # The stand-in answered every turn (no fallback), streaming, and was offered the agent's real tools.
    assert served and all(s["stream"] and s["fault"] == "none" for s in served)
    assert {"confirm_identity", "find_available_slots", "book_slot", "stop_calling", "not_the_patient",
            "schedule_callback"} <= set(served[0]["tools_offered"])
    said = " ".join(agent_lines(result))
    assert "Wednesday" in said and "Dr. Patel" in said        # from confirm_identity's result, after identity
    assert max(silences(result)) < MAX_SILENCE


def test_reschedule_with_structured_arguments(world, run_call, conn, llm_brain):
    result = run_call(ScriptedFarEnd(["yes, speaking", "I can't make it, could I come Thursday afternoon instead?",
                                      "the second one"]), brain=llm_brain)
    calls = tool_calls(result)
    assert [n for n, _ in calls] == ["confirm_identity", "find_available_slots", "book_slot"]
    search = calls[1][1]
    # Thursday of this week (today is Monday 2026-03-02), afternoon: ISO dates and the part-of-day enum.
    assert search["earliest_date"] == search["latest_date"] == "2026-03-05"
    assert search["part_of_day"] == "afternoon"
    assert calls[2][1] == {"option": 2}
    assert result.outcome == "rescheduled"
    moved = appointment(conn, world["appointment"]["id"])["starts_at"].astimezone(TZ)
    assert moved.date() == date(2026, 3, 5) and 12 <= moved.hour < 17


def test_cancel_checks_once_then_cancels(world, run_call, conn, llm_brain):
    result = run_call(ScriptedFarEnd(["yes it's me", "I need to cancel", "yes please", "no thanks"]), brain=llm_brain)
    assert [n for n, _ in tool_calls(result)] == ["confirm_identity", "cancel_appointment", "end_call"]
    assert result.outcome == "cancelled"
    assert appointment(conn, world["appointment"]["id"])["status"] == "cancelled"


def test_opt_out_at_once(world, run_call, conn, llm_brain):
    result = run_call(ScriptedFarEnd(["stop calling me"]), brain=llm_brain)
    assert [n for n, _ in tool_calls(result)] == ["stop_calling"]
    assert result.outcome == "opted_out"
    conn.rollback()
    assert conn.execute("SELECT count(*) AS n FROM dnc WHERE phone = %s", (world["patient"]["phone"],)
                        ).fetchone()["n"] == 1


def test_not_patient_hears_no_detail(world, run_call, llm_brain):
    result = run_call(ScriptedFarEnd(["I'm her husband, just tell me the time"]), brain=llm_brain)
    assert [n for n, _ in tool_calls(result)] == ["not_the_patient"]
    assert result.outcome == "not_patient"
    said = " ".join(agent_lines(result))
    for detail in ("Wednesday", "9:15", "Dr. Patel", "Main Street"):
        assert detail not in said


def test_guard_refuses_a_model_that_confirms_a_relative(world, run_call, endpoint, llm_brain):
    """The endpoint is told to call confirm_identity whatever it hears: the tool's own guard refuses a
    mother and a fishing question, and no appointment detail is said."""
    endpoint.set_reckless_identity(True)
    try:
        result = run_call(ScriptedFarEnd(["I am her mother", "just tell me when it is"]), brain=llm_brain)
    finally:
        endpoint.set_reckless_identity(False)
    identity = [e for e in result.transcript if e["role"] == "tool" and e["name"] == "confirm_identity"]
    assert len(identity) == 2 and not any(e["ok"] for e in identity)
    assert result.outcome not in ("confirmed", "rescheduled", "cancelled")
    said = " ".join(agent_lines(result))
    for detail in ("Wednesday", "9:15", "Dr. Patel", "Main Street"):
        assert detail not in said


def test_converse_with_the_llm_brain(tmp_path, db_url, endpoint):
    """`python -m agent converse --brain llm` with the settings pointing at the stand-in."""
    f = tmp_path / "patient.txt"
    f.write_text("yes, this is Ana\nI'd like to reschedule, any afternoon next week\nthe first one\n")
    env = {**os.environ, "DATABASE_URL": db_url, "OPENAI_BASE_URL": endpoint.url, "OPENAI_API_KEY": "sk-local"}
    proc = subprocess.run([sys.executable, "-m", "agent", "converse", str(f), "--first-name", "Ana", "--brain", "llm",
                           "--json"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    calls = out["tool_calls"]
    assert [c["name"] for c in calls] == ["confirm_identity", "find_available_slots", "book_slot"]
    search = calls[1]["arguments"]
    assert search["part_of_day"] == "afternoon"
    assert date.fromisoformat(search["earliest_date"]).weekday() == 0      # next week starts on a Monday
    assert calls[2]["arguments"] == {"option": 1}
    assert out["outcome"] == "rescheduled"


# ---- the FallbackAdapter switch mid-call ---------------------------------------------------------------------


@pytest.fixture
def own_endpoint() -> Iterator[Callable[..., LocalLLM]]:
    started: list[LocalLLM] = []

    def _start(*args: str) -> LocalLLM:
        server = start_local_llm(*args)
        started.append(server)
        return server

    yield _start
    for s in started:
        s.stop()
    get_settings.cache_clear()


def test_endpoint_killed_mid_call(world, run_call, conn, monkeypatch, own_endpoint):
    # Two requests go through (confirm_identity, then the appointment question); the third kills the server
    # while the request is open, and every later one finds nothing listening.
    server = own_endpoint("--fault", "kill", "--fault-after", "2")
    _use(monkeypatch, server)
    result = run_call(ScriptedFarEnd(["yes, speaking", "yes I'll be there"]), brain=brains)
    assert server.proc.poll() is not None                      # it really died
    assert [n for n, _ in tool_calls(result)] == ["confirm_identity", "confirm_appointment"]
    assert result.outcome == "confirmed"
    assert appointment(conn, world["appointment"]["id"])["status"] == "confirmed"
    assert max(silences(result)) < MAX_SILENCE, silences(result)


def test_endpoint_killed_while_streaming_a_reply(world, run_call, conn, monkeypatch, own_endpoint):
    # The third request ("I can't make it" -> the model's "Sure. What day...") dies after its first words
    # went out: the turn is redone by the script (brains() sets retry_on_chunk_sent; without it this call
    # ended `failed`), and the call still ends rescheduled. The patient hears the cut-off words, then the
    # script's reply ("Sure. What d... Sure, I can help with that. What day or time works better for you?").
    server = own_endpoint("--fault", "kill_mid_stream", "--fault-after", "2")
    _use(monkeypatch, server)
    result = run_call(ScriptedFarEnd(["yes, speaking", "I can't make it", "Thursday afternoon", "the second one"]),
                      brain=brains)
    assert server.proc.poll() is not None
    assert [n for n, _ in tool_calls(result)] == ["confirm_identity", "find_available_slots", "book_slot"]
    assert result.outcome == "rescheduled"
    assert max(silences(result)) < MAX_SILENCE, silences(result)


def test_endpoint_erroring_while_times_are_on_offer(world, run_call, conn, monkeypatch, own_endpoint):
    # The model confirmed identity and offered times (4 requests); then it answers 500. The script must see
    # that times are on offer (from the tool result, not from the model's sentence) and book the choice.
    server = own_endpoint("--fault", "http_500", "--fault-after", "4")
    _use(monkeypatch, server)
    result = run_call(ScriptedFarEnd(["yes, speaking", "could I come Thursday afternoon instead", "the second one"]),
                      brain=brains)
    assert [n for n, _ in tool_calls(result)] == ["confirm_identity", "find_available_slots", "book_slot"]
    assert tool_calls(result)[2][1] == {"option": 2}
    assert any(r["fault"] == "http_500" for r in server.requests())
    assert result.outcome == "rescheduled"
    assert max(silences(result)) < MAX_SILENCE, silences(result)


def test_a_yes_to_the_model_s_own_question_is_not_taken_as_confirming(world, run_call, conn, monkeypatch,
                                                                     own_endpoint):
    # The model asks "just to be sure, you want to cancel?" (a turn with no tool), then fails. The script cannot
    # know that question (it reads no sentence), so the patient's "yes please" must not confirm the
    # appointment: it asks a question of its own, and the cancellation goes through.
    server = own_endpoint("--fault", "http_500", "--fault-after", "3")
    _use(monkeypatch, server)
    result = run_call(ScriptedFarEnd(["yes, speaking", "I need to cancel", "yes please", "I want to cancel it",
                                      "yes"]), brain=brains)
    names = [n for n, _ in tool_calls(result)]
    assert "confirm_appointment" not in names
    assert names == ["confirm_identity", "cancel_appointment"]
    assert result.outcome == "cancelled"
    assert appointment(conn, world["appointment"]["id"])["status"] == "cancelled"
    assert max(silences(result)) < MAX_SILENCE, silences(result)


def test_the_model_takes_over_again_once_it_recovers(world, run_call, conn, monkeypatch, own_endpoint):
    # One 500 on the third request: the script answers that turn, FallbackAdapter's recovery probe (in the
    # background) finds the endpoint well again, and the model carries on from the script's turns (it reads
    # the tool results, not the script's sentences): here it books the option the patient picked. The patient
    # takes a second over each answer after the failure, as people do: typed turns otherwise arrive within
    # milliseconds, and the test then raced the probe rather than testing the switch back.
    server = own_endpoint("--fault", "http_500", "--fault-after", "2")
    server.set_fault("http_500", after=2, times=1)
    _use(monkeypatch, server)
    result = run_call(ScriptedFarEnd(["yes, speaking", "I can't make it", Turn(text="Thursday afternoon", pause_s=1.0),
                                      Turn(text="the second one", pause_s=1.0)]), brain=brains)
    served = server.requests()
    failed_at = next(i for i, r in enumerate(served) if r["fault"] == "http_500")
    later = [r for r in served[failed_at + 1:] if r["tool_call"] is not None]
    assert "book_slot" in [r["tool_call"]["name"] for r in later]           # the model again, not the script
    assert [n for n, _ in tool_calls(result)] == ["confirm_identity", "find_available_slots", "book_slot"]
    assert result.outcome == "rescheduled"


def test_endpoint_slower_than_the_timeout(world, run_call, conn, monkeypatch, own_endpoint):
    # The first token takes 5 s; the production AGENT_LLM_TIMEOUT_SECONDS (1.0) bounds the wait before the
    # script answers. (At the old 4.0 the patient heard 4.05 s of silence: bench/llm_path.py --timeout 4.)
    server = own_endpoint("--fault", "slow", "--fault-after", "2", "--slow-seconds", "5")
    monkeypatch.delenv("AGENT_LLM_TIMEOUT_SECONDS", raising=False)
    _use(monkeypatch, server)
    assert get_settings().agent_llm_timeout_seconds == 1.0
    result = run_call(ScriptedFarEnd(["yes, speaking", "yes I'll be there"]), brain=brains)
    assert [n for n, _ in tool_calls(result)] == ["confirm_identity", "confirm_appointment"]
    assert result.outcome == "confirmed"
    gaps = silences(result)
    assert max(gaps) < MAX_SILENCE, gaps
    assert max(gaps) >= 0.9     # the switch really waited for the timeout (the slow model was tried)
