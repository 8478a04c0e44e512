"""The OpenAI-compatible HTTP surface of the stand-in model (aiohttp).

`POST /v1/chat/completions` answers as OpenAI does: with `stream: true` a `text/event-stream` of
`chat.completion.chunk` objects (a role chunk, content fragments, a tool call split into an opening delta
with `index`/`id`/`type`/`function.name` and `function.arguments` fragments, a final chunk with
`finish_reason`, a usage chunk with empty `choices` when `stream_options.include_usage`, then
`data: [DONE]`); without it one `chat.completion` object. Bad requests get OpenAI's error shape naming the
field (`param`).

Faults on demand, for the fallback tests (`POST /control/fault`, or the CLI flags):
- `http_500`: the request is answered `500` with an OpenAI error body;
- `slow`: response headers at once, then `seconds` of nothing before the first chunk;
- `kill`: the process exits on the spot (`os._exit`) while the request is open, as a crashed server does;
- `kill_mid_stream`: the process exits after the first content chunk of a streamed reply has gone out;
- `none`: back to normal.
`after` lets that many requests through first; `times` limits how many requests the fault hits.
`GET /control/requests` lists what was asked and answered (for tests); `GET /health` says it is up."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from aiohttp import web

from sim.local_llm.policy import Completion, Policy, read_request

log = logging.getLogger("sim.local_llm")
FaultMode = Literal["none", "http_500", "slow", "kill", "kill_mid_stream"]
FAULT_MODES: tuple[str, ...] = ("none", "http_500", "slow", "kill", "kill_mid_stream")
MODEL = "local-stand-in"


@dataclass
class Fault:
    mode: FaultMode = "none"
    after: int = 0            # requests let through before the fault starts
    times: int | None = None  # requests the fault hits (None: all following)
    seconds: float = 5.0      # `slow`: delay before the first chunk

    @classmethod
    def parse(cls, body: Any) -> Fault:
        """From a control request body; ValueError names the field."""
        if not isinstance(body, dict):
            raise ValueError("body: must be a JSON object")
        mode = body.get("mode", "none")
        if mode not in FAULT_MODES:
            raise ValueError(f"mode: must be one of {', '.join(FAULT_MODES)}")
        after, times, seconds = body.get("after", 0), body.get("times"), body.get("seconds", 5.0)
        if not isinstance(after, int) or after < 0:
            raise ValueError("after: must be a non-negative integer")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ValueError("times: must be a positive integer or null")
        if not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError("seconds: must be a non-negative number")
        return cls(mode=mode, after=after, times=times, seconds=float(seconds))


@dataclass
class Served:
    """One chat-completions request as the tests see it."""

    last_user: str
    tools_offered: list[str]
    stream: bool
    fault: str
    text: str = ""
    tool_call: dict[str, Any] | None = None


@dataclass
class ServerState:
    policy: Policy
    fault: Fault = field(default_factory=Fault)
    seen: int = 0                        # requests since the fault was set
    served: list[Served] = field(default_factory=list)

    def take_fault(self) -> Fault | None:
        """The fault hitting this request, if any (counts the request)."""
        self.seen += 1
        f = self.fault
        if f.mode == "none" or self.seen <= f.after:
            return None
        if f.times is not None and self.seen > f.after + f.times:
            return None
        return f


def _error(status: int, message: str, param: str | None = None, kind: str = "invalid_request_error") -> web.Response:
    return web.json_response({"error": {"message": message, "type": kind, "param": param, "code": None}},
                             status=status)


def _tokens(text: str) -> int:
    """A rough token count (4 characters a token): the stand-in has no tokenizer, usage is only plausible."""
    return max(1, len(text) // 4)


def _fragments(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def _chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None,
           usage: dict[str, Any] | None = None, with_usage_field: bool = False) -> bytes:
    obj: dict[str, Any] = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL,
                           "system_fingerprint": "fp_local",
                           "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    if with_usage_field:
        obj["usage"] = usage
    return f"data: {json.dumps(obj)}\n\n".encode()


def _usage(prompt: str, completion: Completion) -> dict[str, Any]:
    out = completion.text + (json.dumps(completion.tool_call.arguments) if completion.tool_call else "")
    p, c = _tokens(prompt), _tokens(out)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c,
            "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}


def build_app(state: ServerState) -> web.Application:
    app = web.Application()

    async def completions(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "body: not valid JSON")
        if not isinstance(body, dict):
            return _error(400, "body: must be a JSON object")
        if not isinstance(body.get("model"), str):
            return _error(400, "model: required (a string)", "model")
        try:
            conv = read_request(body)
        except ValueError as exc:
            return _error(400, str(exc), str(exc).split(":")[0])
        fault = state.take_fault()
        last_user = next((p for k, p in reversed(conv.events) if k == "user"), "")
        served = Served(last_user=last_user, tools_offered=sorted(conv.tools), stream=bool(body.get("stream")),
                        fault=fault.mode if fault else "none")
        state.served.append(served)
        if fault is not None and fault.mode == "kill":
            log.warning("fault: killing the process mid-request")
            os._exit(17)
        if fault is not None and fault.mode == "http_500":
            return _error(500, "The server had an error while processing your request.", None, "server_error")
        completion = await asyncio.to_thread(state.policy.complete, conv)
        served.text = completion.text
        if completion.tool_call is not None:
            served.tool_call = asdict(completion.tool_call)
        prompt = json.dumps(body.get("messages"))
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        call_id = f"call_{uuid.uuid4().hex[:24]}"
        finish = "tool_calls" if completion.tool_call else "stop"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": completion.text or None, "refusal": None}
            if completion.tool_call:
                message["tool_calls"] = [{"id": call_id, "type": "function", "function": {
                    "name": completion.tool_call.name, "arguments": json.dumps(completion.tool_call.arguments)}}]
            return web.json_response({"id": cid, "object": "chat.completion", "created": created, "model": MODEL,
                                      "system_fingerprint": "fp_local",
                                      "choices": [{"index": 0, "message": message, "logprobs": None,
                                                   "finish_reason": finish}],
                                      "usage": _usage(prompt, completion)})
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        if fault is not None and fault.mode == "slow":
            await asyncio.sleep(fault.seconds)
        await resp.write(_chunk(cid, created, {"role": "assistant", "content": "", "refusal": None},
                                with_usage_field=include_usage))
        for piece in _fragments(completion.text, 12) if completion.text else []:
            await resp.write(_chunk(cid, created, {"content": piece}, with_usage_field=include_usage))
            if fault is not None and fault.mode == "kill_mid_stream":
                await resp.drain()
                log.warning("fault: killing the process mid-stream")
                os._exit(17)
        if completion.tool_call:
            await resp.write(_chunk(cid, created, {"tool_calls": [{"index": 0, "id": call_id, "type": "function",
                                                                   "function": {"name": completion.tool_call.name,
                                                                                "arguments": ""}}]},
                                    with_usage_field=include_usage))
            for piece in _fragments(json.dumps(completion.tool_call.arguments), 8):
                await resp.write(_chunk(cid, created, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]},
                                        with_usage_field=include_usage))
        await resp.write(_chunk(cid, created, {}, finish, with_usage_field=include_usage))
        if include_usage:
            usage = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL,
                     "system_fingerprint": "fp_local", "choices": [], "usage": _usage(prompt, completion)}
            await resp.write(f"data: {json.dumps(usage)}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    async def models(_request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0,
                                                              "owned_by": "local"}]})

    async def set_fault(request: web.Request) -> web.Response:
        try:
            fault = Fault.parse(await request.json())
        except ValueError as exc:
            return _error(400, str(exc), str(exc).split(":")[0])
        state.fault, state.seen = fault, 0
        return web.json_response(asdict(fault))

    async def set_policy(request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("reckless_identity", False), bool):
            return _error(400, "reckless_identity: must be true or false", "reckless_identity")
        state.policy = Policy(reckless_identity=body.get("reckless_identity", False))
        return web.json_response({"reckless_identity": state.policy.reckless_identity})

    async def requests_(_request: web.Request) -> web.Response:
        return web.json_response([asdict(s) for s in state.served])

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_get("/v1/models", models)
    app.router.add_post("/control/fault", set_fault)
    app.router.add_post("/control/policy", set_policy)
    app.router.add_get("/control/requests", requests_)
    app.router.add_get("/health", health)
    return app
