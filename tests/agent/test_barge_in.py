"""The identity question counts as asked only when the callee heard it to the end.

On a phone line the callee often talks over the greeting ("Hello, who's calling?" while the agent is still
saying "... Am I speaking with Maria?"). LiveKit then cuts the agent's speech and marks the line
`interrupted`. A "yes" after that answers nothing the callee heard: the agent says who is calling (the
clinic's name only) and asks again. In text mode a far-end turn with `barge_in` (a converse line starting
with ">>") is said over the agent's last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from livekit.agents import AgentSession

from agent.call_state import agent_line_heard
from agent.confirmation_agent import ConfirmationAgent
from agent.far_end import Turn
from agent.session_factory import scripted_brain
from tests.agent.conftest import ScriptedFarEnd, agent_lines, appointment
from tests.agent.test_llm_path import endpoint, llm_brain  # noqa: F401  (fixtures)

DETAILS = ("March", "Wednesday", "Dr. Patel", "Patel", "9:15", "nine fifteen", "Main Street")


def _identity(result: Any) -> list[bool]:
    """ok-flags of the confirm_identity calls."""
    return [e["ok"] for e in result.transcript if e["role"] == "tool" and e["name"] == "confirm_identity"]


def _no_detail(result: Any) -> None:
    said = " ".join(agent_lines(result))
    for detail in DETAILS:
        assert detail not in said, (detail, said)


def test_yes_said_over_the_greeting_does_not_confirm_identity(world, run_call, conn):
    result = run_call(ScriptedFarEnd([Turn(text="Yes, it is.", barge_in=True)]))
    assert True not in _identity(result)
    _no_detail(result)
    last = agent_lines(result)[-1]
    assert "Maria" in last and "?" in last          # the question is asked again
    assert "Sunrise" in last                         # with who is calling: the clinic's name
    assert appointment(conn, world["appointment"]["id"])["status"] == "pending"


def test_who_is_calling_over_the_greeting_then_yes_over_the_answer(world, run_call):
    result = run_call(ScriptedFarEnd([Turn(text="Hello, who's calling?", barge_in=True),
                                      Turn(text="Yes, it is.", barge_in=True)]))
    assert True not in _identity(result)
    _no_detail(result)
    assert "Sunrise" in agent_lines(result)[2]       # "who's calling" answered with the clinic's name


def test_yes_to_the_question_heard_to_the_end_confirms(world, run_call, conn):
    result = run_call(ScriptedFarEnd([Turn(text="Hello, who's calling?", barge_in=True), "Yes, it is.",
                                      "yes I'll be there"]))
    assert _identity(result) == [True]
    assert result.outcome == "confirmed"
    assert appointment(conn, world["appointment"]["id"])["status"] == "confirmed"


def test_the_llm_path_guard_refuses_a_yes_said_over_the_question(world, run_call, endpoint, llm_brain):  # noqa: F811
    """The model is told to call confirm_identity whatever it hears: the tool's own guard refuses while the
    question was spoken over, and accepts once it was heard."""
    endpoint.set_reckless_identity(True)
    try:
        result = run_call(ScriptedFarEnd([Turn(text="Yes, it is.", barge_in=True)]), brain=llm_brain)
        assert _identity(result) == [False]
        _no_detail(result)
    finally:
        endpoint.set_reckless_identity(False)


async def test_agent_session_greeting_cut_off_by_the_callee(world):
    """LiveKit's own interruption of the greeting's SpeechHandle, in an AgentSession with the scripted brain:
    `result.expect` shows the agent re-asks instead of calling confirm_identity."""
    from agent.call_flow import load

    call = await load(world["attempt"]["id"])
    agent = ConfirmationAgent(call, greet=False)
    async with AgentSession(llm=scripted_brain(call)) as session:
        await session.start(agent)
        handle = agent.say_greeting(session)
        handle.interrupt(force=True)
        await handle
        assert handle.interrupted and agent.state.greeting_heard is False
        result = await session.run(user_input="Yes, it is.")
        msg = result.expect.next_event().is_message(role="assistant")
        reask = msg.event().item.text_content or ""
        assert "Maria?" in reask and "Sunrise" in reask and "Patel" not in reask   # asked again, no detail
        result.expect.no_more_events()
        result = await session.run(user_input="Yes, speaking.")
        result.expect.contains_function_call(name="confirm_identity")
        out = result.expect.contains_function_call_output()
        assert not out.event().item.is_error


def test_converse_marks_a_barge_in_line(tmp_path, db_url):
    f = tmp_path / "patient.txt"
    f.write_text(">> Yes, it is.\nyes, speaking\nyes I'll be there\n")
    proc = subprocess.run([sys.executable, "-m", "agent", "converse", str(f), "--json"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "DATABASE_URL": db_url})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    greeting = out["transcript"][1]
    assert greeting["role"] == "agent" and greeting.get("interrupted") is True
    assert [c["name"] for c in out["tool_calls"]] == ["confirm_identity", "confirm_appointment"]
    reask = out["transcript"][3]
    assert reask["role"] == "agent" and "Maria?" in reask["text"] and "Patel" not in reask["text"]
    assert out["outcome"] == "confirmed"


class _Msg:
    type = "message"

    def __init__(self, role: str, interrupted: bool = False) -> None:
        self.role, self.interrupted = role, interrupted


def test_agent_line_heard_reads_the_line_the_callee_answered():
    a, u = _Msg("assistant"), _Msg("user")
    cut = _Msg("assistant", interrupted=True)
    assert agent_line_heard([a, u])
    assert not agent_line_heard([cut, u])
    assert agent_line_heard([cut, u, a, u])                 # asked again and heard
    assert not agent_line_heard([a, u, cut, u])
    assert not agent_line_heard([cut, u, a])                # a filler after the callee's turn changes nothing
    assert not agent_line_heard([u], greeting_heard=False)  # the greeting was cut before any of it was kept
    assert agent_line_heard([u])
