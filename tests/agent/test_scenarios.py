"""Multi-turn calls in text mode with the scripted brain; tool effects checked in Postgres."""

from __future__ import annotations

from tests.agent.conftest import ScriptedFarEnd, agent_lines, appointment, attempt


def test_confirm(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes this is maria", "yes I'll be there"]))
    print("\n".join(agent_lines(result)))
    assert result.outcome == "confirmed"
    assert appointment(conn, world["appointment"]["id"])["status"] == "confirmed"
    row = attempt(conn, world["attempt"]["id"])
    assert row["outcome"] == "confirmed" and row["transcript"] and row["summary"]
