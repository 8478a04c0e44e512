"""The local stand-in model speaks OpenAI's chat-completions protocol: the official `openai` client parses
its stream (tool-call deltas, finish_reason, usage chunk) and its plain responses; bad requests and fault
settings are refused naming the field; faults happen when asked."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from sim.local_llm import LocalLLM, start_local_llm

TOOLS = [{"type": "function", "function": {"name": "confirm_identity", "strict": True, "parameters": {
             "type": "object", "properties": {}, "required": [], "additionalProperties": False}}},
         {"type": "function", "function": {"name": "find_available_slots", "strict": True, "parameters": {
             "type": "object", "additionalProperties": False,
             "properties": {"part_of_day": {"type": ["string", "null"], "enum": ["any", "morning", "afternoon",
                                                                                 "evening", None]},
                            "earliest_date": {"type": ["string", "null"], "format": "date"},
                            "latest_date": {"type": ["string", "null"], "format": "date"},
                            "weekdays": {"type": ["array", "null"], "items": {"type": "string"}}},
             "required": ["part_of_day", "earliest_date", "latest_date", "weekdays"]}}}]
SYSTEM = {"role": "system", "content": "You are the clinic's assistant (today is Monday 2026-03-02)."}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLLM]:
    s = start_local_llm()
    yield s
    s.stop()


def _client(server: LocalLLM) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key="anything", max_retries=0)


def test_streams_a_tool_call_in_fragments_with_usage(server):
    server.set_fault("none")
    stream = _client(server).chat.completions.create(
        model="gpt-4o-mini", stream=True, stream_options={"include_usage": True}, tools=TOOLS,
        messages=[SYSTEM, {"role": "assistant", "content": "Am I speaking with Maria?"},
                  {"role": "user", "content": "yes, speaking"}])
    chunks = list(stream)
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    calls = [tc for d in deltas for tc in (d.tool_calls or [])]
    assert calls[0].id and calls[0].function.name == "confirm_identity" and calls[0].index == 0
    assert json.loads("".join(tc.function.arguments or "" for tc in calls)) == {}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0


def test_structured_arguments_fill_the_schema(server):
    messages = [SYSTEM, {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "confirm_identity", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"appointment": "Wednesday at 9:15"})},
                {"role": "assistant", "content": "Your appointment is Wednesday at 9:15. Can you make it?"},
                {"role": "user", "content": "No, could I come Thursday afternoon instead?"}]
    resp = _client(server).chat.completions.create(model="m", tools=TOOLS, messages=messages)
    call = resp.choices[0].message.tool_calls[0]
    assert resp.choices[0].finish_reason == "tool_calls" and call.function.name == "find_available_slots"
    args = json.loads(call.function.arguments)
    assert set(args) == {"part_of_day", "earliest_date", "latest_date", "weekdays"}    # strict: all present
    assert args["part_of_day"] == "afternoon" and args["earliest_date"] == args["latest_date"] == "2026-03-05"


def test_a_tool_not_offered_is_never_called(server):
    resp = _client(server).chat.completions.create(model="m", messages=[SYSTEM, {"role": "user", "content": "yes"}])
    assert resp.choices[0].message.tool_calls is None and resp.choices[0].finish_reason == "stop"
    assert resp.choices[0].message.content


def test_bad_requests_name_the_field(server):
    r = httpx.post(f"{server.url}/chat/completions", json={"model": "m", "messages": []})
    assert r.status_code == 400 and r.json()["error"]["param"] == "messages"
    r = httpx.post(f"{server.root}/control/fault", json={"mode": "explode"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "mode"


def test_faults_on_demand(server):
    client = _client(server)
    msgs = [SYSTEM, {"role": "user", "content": "hello?"}]
    server.set_fault("http_500", after=1, times=1)
    client.chat.completions.create(model="m", messages=msgs)                    # let through
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=msgs)
    client.chat.completions.create(model="m", messages=msgs)                    # times=1: over
    server.set_fault("slow", seconds=1.0)
    t0 = time.monotonic()
    list(client.chat.completions.create(model="m", messages=msgs, stream=True))
    assert time.monotonic() - t0 >= 1.0
    server.set_fault("none")


def test_kill_ends_the_process_mid_request():
    s = start_local_llm("--fault", "kill")
    try:
        with pytest.raises(openai.APIConnectionError):
            _client(s).chat.completions.create(model="m", messages=[SYSTEM, {"role": "user", "content": "hi"}])
        assert s.proc.wait(timeout=10) != 0
    finally:
        s.stop()
