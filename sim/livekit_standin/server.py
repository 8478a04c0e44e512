"""LiveKit server API stand-in: the Twirp endpoints this project calls, with LiveKit's auth and errors.

Implements RoomService CreateRoom/DeleteRoom/ListRooms, AgentDispatchService CreateDispatch/ListDispatch/
DeleteDispatch and SIP CreateSIPParticipant/TransferSIPParticipant at `/twirp/livekit.<Service>/<Method>`,
for binary protobuf and JSON bodies. Like LiveKit it checks the bearer JWT (HS256 signed with the API
secret, issuer = API key) and the grant each endpoint needs, and reports errors as Twirp JSON
(`{"code", "msg", "meta"}`); SIP failures carry `sip_status_code`/`sip_status` in `meta`, which makes
`livekit.api` raise `SipCallError`. Every request is recorded for tests (`handle.calls`, or
`GET /standin/calls` when it runs as its own process).

Why a stand-in rather than a mock: the production client, its request signing, protobuf encoding and
error mapping all run unmodified, so a test that passes here exercises the same bytes LiveKit would see.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from livekit.api.access_token import Claims, TokenVerifier
from livekit.protocol import agent as pb_agent
from livekit.protocol import agent_dispatch as pb_dispatch
from livekit.protocol import models as pb_models
from livekit.protocol import room as pb_room
from livekit.protocol import sip as pb_sip

from sim.livekit_standin.phone_network import ANSWER, DialResult, PhoneNetwork

log = logging.getLogger("sim.livekit_standin")

# Twirp error codes and the HTTP status each one travels with (twitchtv/twirp spec).
TWIRP_HTTP_STATUS = {
    "canceled": 408, "unknown": 500, "invalid_argument": 400, "malformed": 400, "deadline_exceeded": 408,
    "not_found": 404, "bad_route": 404, "already_exists": 409, "permission_denied": 403,
    "unauthenticated": 401, "resource_exhausted": 429, "failed_precondition": 412, "aborted": 409,
    "out_of_range": 400, "unimplemented": 501, "internal": 500, "unavailable": 503, "dataloss": 500,
}

DispatchHook = Callable[[pb_dispatch.AgentDispatch], Awaitable[None]]


class TwirpFailure(Exception):
    def __init__(self, code: str, msg: str, meta: dict[str, str] | None = None) -> None:
        super().__init__(msg)
        self.code, self.msg, self.meta = code, msg, meta or {}

    def response(self) -> web.Response:
        body: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.meta:
            body["meta"] = self.meta
        return web.json_response(body, status=TWIRP_HTTP_STATUS.get(self.code, 500))


def twirp_code_for_sip(status_code: int) -> str:
    """The Twirp code LiveKit reports with a failed INVITE (gRPC mapping of the SIP status)."""
    if status_code == 408:
        return "deadline_exceeded"
    if status_code in (401, 407):
        return "unauthenticated"
    if status_code in (403, 603):
        return "permission_denied"
    if status_code == 404:
        return "not_found"
    if status_code in (480, 486, 600, 503):
        return "unavailable"
    if 400 <= status_code < 500:
        return "invalid_argument"
    return "internal"


@dataclass
class RecordedCall:
    service: str
    method: str
    request: Message | None
    identity: str
    at: float
    error: str | None = None
    sip_status_code: int | None = None
    content_type: str = "application/protobuf"

    def as_json(self) -> dict[str, Any]:
        return {"service": self.service, "method": self.method, "at": self.at, "identity": self.identity,
                "error": self.error, "sip_status_code": self.sip_status_code, "content_type": self.content_type,
                "request": json_format.MessageToDict(self.request, preserving_proto_field_name=True)
                if self.request is not None else None}


@dataclass
class _Injected:
    code: str
    msg: str
    times: int


@dataclass
class _Endpoint:
    request_cls: type[Message]
    handler: str
    check: Callable[[Claims, Message], str | None]  # returns a denial reason, or None when allowed


def _need_room_create(c: Claims, _: Message) -> str | None:
    return None if c.video and c.video.room_create else "requires roomCreate grant"


def _need_room_list(c: Claims, _: Message) -> str | None:
    return None if c.video and c.video.room_list else "requires roomList grant"


def _need_room_admin(room: str) -> Callable[[Claims, Message], str | None]:
    def check(c: Claims, req: Message) -> str | None:
        wanted = getattr(req, room)
        if not (c.video and c.video.room_admin):
            return "requires roomAdmin grant"
        if c.video.room != wanted:
            return f"roomAdmin grant is for room {c.video.room!r}, not {wanted!r}"
        return None
    return check


def _need_sip_call(c: Claims, _: Message) -> str | None:
    return None if c.sip and c.sip.call else "requires sip.call grant"


def _need_sip_admin(c: Claims, _: Message) -> str | None:
    return None if c.sip and c.sip.admin else "requires sip.admin grant"


def _need_transfer(c: Claims, req: Message) -> str | None:
    return _need_sip_call(c, req) or _need_room_admin("room_name")(c, req)


ENDPOINTS: dict[tuple[str, str], _Endpoint] = {
    ("RoomService", "CreateRoom"): _Endpoint(pb_room.CreateRoomRequest, "_create_room", _need_room_create),
    ("RoomService", "DeleteRoom"): _Endpoint(pb_room.DeleteRoomRequest, "_delete_room", _need_room_create),
    ("RoomService", "ListRooms"): _Endpoint(pb_room.ListRoomsRequest, "_list_rooms", _need_room_list),
    ("AgentDispatchService", "CreateDispatch"): _Endpoint(
        pb_dispatch.CreateAgentDispatchRequest, "_create_dispatch", _need_room_admin("room")),
    ("AgentDispatchService", "ListDispatch"): _Endpoint(
        pb_dispatch.ListAgentDispatchRequest, "_list_dispatch", _need_room_admin("room")),
    ("AgentDispatchService", "DeleteDispatch"): _Endpoint(
        pb_dispatch.DeleteAgentDispatchRequest, "_delete_dispatch", _need_room_admin("room")),
    ("SIP", "CreateSIPParticipant"): _Endpoint(
        pb_sip.CreateSIPParticipantRequest, "_create_sip_participant", _need_sip_call),
    ("SIP", "TransferSIPParticipant"): _Endpoint(
        pb_sip.TransferSIPParticipantRequest, "_transfer_sip_participant", _need_transfer),
    ("SIP", "CreateSIPOutboundTrunk"): _Endpoint(
        pb_sip.CreateSIPOutboundTrunkRequest, "_create_sip_outbound_trunk", _need_sip_admin),
    ("SIP", "ListSIPOutboundTrunk"): _Endpoint(
        pb_sip.ListSIPOutboundTrunkRequest, "_list_sip_outbound_trunk", _need_sip_admin),
}


def _sid(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


@dataclass
class Standin:
    """The server. `phone_network` decides CreateSIPParticipant outcomes; `dispatch_hook` runs (as a
    background task, like a real agent job) for every CreateDispatch; `ring_scale` multiplies ring times
    (0 = instant, for fast tests)."""

    api_key: str
    api_secret: str
    phone_network: PhoneNetwork | None = None
    dispatch_hook: DispatchHook | None = None
    ring_scale: float = 1.0
    calls: list[RecordedCall] = field(default_factory=list)
    rooms: dict[str, pb_models.Room] = field(default_factory=dict)
    participants: dict[str, list[str]] = field(default_factory=dict)
    dispatches: dict[str, pb_dispatch.AgentDispatch] = field(default_factory=dict)
    hook_errors: list[BaseException] = field(default_factory=list)
    outbound_trunks: dict[str, pb_sip.SIPOutboundTrunkInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._verifier = TokenVerifier(self.api_key, self.api_secret)
        self._injected: dict[tuple[str, str], _Injected] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._counter = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- control -------------------------------------------------------------------------------
    def fail_next(self, service: str, method: str, code: str = "unavailable", msg: str = "injected failure",
                  times: int = 1) -> None:
        """Make the next `times` calls of one endpoint fail with a Twirp `code` (e.g. a LiveKit outage)."""
        if code not in TWIRP_HTTP_STATUS:
            raise ValueError(f"unknown twirp code {code!r}")
        self._injected[(service, method)] = _Injected(code, msg, times)

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method]

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/twirp/livekit.{service}/{method}", self._handle)
        app.router.add_get("/standin/calls", self._calls_json)
        app.router.add_get("/", self._health)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = site._server.sockets if site._server is not None else []  # type: ignore[union-attr]
        self.url = f"http://{host}:{sockets[0].getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_for_jobs(self, timeout: float = 30.0) -> None:
        """Wait until every dispatch-hook job started so far has finished."""
        if self._tasks:
            await asyncio.wait_for(asyncio.gather(*list(self._tasks), return_exceptions=True), timeout)

    # --- HTTP ---------------------------------------------------------------------------------
    async def _health(self, _: web.Request) -> web.Response:
        return web.Response(text="OK")

    async def _calls_json(self, _: web.Request) -> web.Response:
        return web.json_response([c.as_json() for c in self.calls])

    def _authenticate(self, request: web.Request) -> Claims:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise TwirpFailure("unauthenticated", "no authorization header: requests must carry a bearer token")
        try:
            return self._verifier.verify(header.removeprefix("Bearer ").strip())
        except jwt.PyJWTError as exc:
            raise TwirpFailure("unauthenticated", f"invalid token: {exc}") from None

    async def _handle(self, request: web.Request) -> web.Response:
        service, method = request.match_info["service"], request.match_info["method"]
        content_type = request.content_type or "application/protobuf"
        call = RecordedCall(service, method, None, "", time.time(), content_type=content_type)
        self.calls.append(call)
        try:
            endpoint = ENDPOINTS.get((service, method))
            if endpoint is None:
                raise TwirpFailure("bad_route", f"no handler for livekit.{service}/{method} in the stand-in")
            body = await request.read()
            msg = endpoint.request_cls()
            try:
                if content_type == "application/json":
                    json_format.Parse(body or b"{}", msg)
                elif content_type == "application/protobuf":
                    msg.ParseFromString(body)
                else:
                    raise TwirpFailure("malformed", f"unexpected Content-Type {content_type!r}")
            except (DecodeError, json_format.ParseError) as exc:
                raise TwirpFailure("malformed", f"the request body is not a valid {msg.DESCRIPTOR.name}: {exc}") \
                    from None
            call.request = msg
            claims = self._authenticate(request)
            call.identity = claims.identity
            denied = endpoint.check(claims, msg)
            if denied:
                raise TwirpFailure("permission_denied", denied)
            injected = self._injected.get((service, method))
            if injected and injected.times > 0:
                injected.times -= 1
                raise TwirpFailure(injected.code, injected.msg)
            result: Message = await getattr(self, endpoint.handler)(msg, call)
        except TwirpFailure as failure:
            call.error = failure.code
            return failure.response()
        if content_type == "application/json":
            return web.Response(body=json_format.MessageToJson(result), content_type="application/json")
        return web.Response(body=result.SerializeToString(), content_type="application/protobuf")

    # --- RoomService ------------------------------------------------------------------------------
    def _ensure_room(self, name: str, **fields: Any) -> pb_models.Room:
        room = self.rooms.get(name)
        if room is None:
            now = time.time()
            room = pb_models.Room(sid=_sid("RM"), name=name, creation_time=int(now),
                                  creation_time_ms=int(now * 1000), **fields)
            self.rooms[name] = room
            self.participants[name] = []
        return room

    async def _create_room(self, req: pb_room.CreateRoomRequest, _: RecordedCall) -> pb_models.Room:
        if not req.name:
            raise TwirpFailure("invalid_argument", "room name is required")
        return self._ensure_room(req.name, empty_timeout=req.empty_timeout, max_participants=req.max_participants,
                                 metadata=req.metadata)

    async def _delete_room(self, req: pb_room.DeleteRoomRequest, _: RecordedCall) -> pb_room.DeleteRoomResponse:
        if req.room not in self.rooms:
            raise TwirpFailure("not_found", "requested room does not exist")
        del self.rooms[req.room]
        self.participants.pop(req.room, None)
        return pb_room.DeleteRoomResponse()

    async def _list_rooms(self, req: pb_room.ListRoomsRequest, _: RecordedCall) -> pb_room.ListRoomsResponse:
        names = set(req.names)
        rooms = []
        for name, room in self.rooms.items():
            if not names or name in names:
                r = pb_models.Room()
                r.CopyFrom(room)
                r.num_participants = len(self.participants.get(name, []))
                rooms.append(r)
        return pb_room.ListRoomsResponse(rooms=rooms)

    # --- AgentDispatchService -------------------------------------------------------------------------
    async def _create_dispatch(self, req: pb_dispatch.CreateAgentDispatchRequest,
                               _: RecordedCall) -> pb_dispatch.AgentDispatch:
        if not req.room:
            raise TwirpFailure("invalid_argument", "room is required")
        self._ensure_room(req.room)
        dispatch = pb_dispatch.AgentDispatch(
            id=_sid("AD"), agent_name=req.agent_name, room=req.room, metadata=req.metadata,
            state=pb_dispatch.AgentDispatchState(created_at=time.time_ns()))
        self.dispatches[dispatch.id] = dispatch
        if self.dispatch_hook is not None:
            # A worker took it: the real server lists the job on the dispatch. With no hook (no worker) the job is
            # dropped, as the real server drops a job no worker has capacity for, and the dispatch lists none.
            dispatch.state.jobs.append(pb_agent.Job(id=_sid("AJ"), dispatch_id=dispatch.id, agent_name=req.agent_name,
                                                    metadata=req.metadata))
            task = asyncio.create_task(self._run_hook(dispatch), name=f"dispatch-{dispatch.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return dispatch

    async def _run_hook(self, dispatch: pb_dispatch.AgentDispatch) -> None:
        assert self.dispatch_hook is not None
        try:
            await self.dispatch_hook(dispatch)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a failing job must not take the server down; tests read hook_errors
            log.exception("dispatch hook failed for room %s", dispatch.room)
            self.hook_errors.append(exc)

    async def _list_dispatch(self, req: pb_dispatch.ListAgentDispatchRequest,
                             _: RecordedCall) -> pb_dispatch.ListAgentDispatchResponse:
        found = [d for d in self.dispatches.values()
                 if d.room == req.room and (not req.dispatch_id or d.id == req.dispatch_id)]
        return pb_dispatch.ListAgentDispatchResponse(agent_dispatches=found)

    async def _delete_dispatch(self, req: pb_dispatch.DeleteAgentDispatchRequest,
                               _: RecordedCall) -> pb_dispatch.AgentDispatch:
        dispatch = self.dispatches.get(req.dispatch_id)
        if dispatch is None or dispatch.room != req.room:
            raise TwirpFailure("not_found", "dispatch not found")
        del self.dispatches[req.dispatch_id]
        return dispatch

    # --- SIP --------------------------------------------------------------------------------------
    async def _create_sip_participant(self, req: pb_sip.CreateSIPParticipantRequest,
                                      call: RecordedCall) -> pb_sip.SIPParticipantInfo:
        if not req.sip_call_to:
            raise TwirpFailure("invalid_argument", "sip_call_to is required")
        if not req.room_name:
            raise TwirpFailure("invalid_argument", "room_name is required")
        if not req.sip_trunk_id and not req.HasField("trunk"):
            raise TwirpFailure("invalid_argument", "sip_trunk_id or trunk is required")
        outcome = self.phone_network(req) if self.phone_network else ANSWER
        if inspect.isawaitable(outcome):
            outcome = await outcome
        assert isinstance(outcome, DialResult)
        call.sip_status_code = outcome.sip_status_code
        if req.wait_until_answered and outcome.ring_seconds and self.ring_scale:
            await asyncio.sleep(outcome.ring_seconds * self.ring_scale)
        if not outcome.answered and req.wait_until_answered:
            raise TwirpFailure(twirp_code_for_sip(outcome.sip_status_code),
                               f"sip status: {outcome.sip_status_code}: {outcome.reason}",
                               {"sip_status_code": str(outcome.sip_status_code), "sip_status": outcome.reason})
        self._ensure_room(req.room_name)
        identity = req.participant_identity or f"sip_{req.sip_call_to}"
        if outcome.answered:
            self.participants[req.room_name].append(identity)
        return pb_sip.SIPParticipantInfo(participant_id=_sid("PA"), participant_identity=identity,
                                         room_name=req.room_name, sip_call_id=_sid("SCL"))

    async def _create_sip_outbound_trunk(self, req: pb_sip.CreateSIPOutboundTrunkRequest,
                                         _: RecordedCall) -> pb_sip.SIPOutboundTrunkInfo:
        """As livekit-server's CreateSIPOutboundTrunk: the id is the server's to give, address and at least
        one number are required; the stored trunk (with its new ST_ id) is returned."""
        trunk = pb_sip.SIPOutboundTrunkInfo()
        trunk.CopyFrom(req.trunk)
        if trunk.sip_trunk_id:
            raise TwirpFailure("invalid_argument", "trunk ID must be empty")
        if not trunk.address:
            raise TwirpFailure("invalid_argument", "no trunk address specified")
        if not trunk.numbers:
            raise TwirpFailure("invalid_argument", "no trunk numbers specified")
        trunk.sip_trunk_id = _sid("ST")
        trunk.created_at.GetCurrentTime()
        trunk.updated_at.CopyFrom(trunk.created_at)
        self.outbound_trunks[trunk.sip_trunk_id] = trunk
        return trunk

    async def _list_sip_outbound_trunk(self, req: pb_sip.ListSIPOutboundTrunkRequest,
                                       _: RecordedCall) -> pb_sip.ListSIPOutboundTrunkResponse:
        """Every outbound trunk, or those with the given ids / any of the given numbers."""
        items = [t for t in self.outbound_trunks.values()
                 if (not req.trunk_ids or t.sip_trunk_id in req.trunk_ids)
                 and (not req.numbers or set(req.numbers) & set(t.numbers))]
        return pb_sip.ListSIPOutboundTrunkResponse(items=items)

    async def _transfer_sip_participant(self, req: pb_sip.TransferSIPParticipantRequest,
                                        _: RecordedCall) -> pb_sip.TransferSIPParticipantResponse:
        if req.participant_identity not in self.participants.get(req.room_name, []):
            raise TwirpFailure("not_found", "participant not found")
        if not req.transfer_to:
            raise TwirpFailure("invalid_argument", "transfer_to is required")
        self.participants[req.room_name].remove(req.participant_identity)
        return pb_sip.TransferSIPParticipantResponse(
            transfer_id=_sid("ST"), status=pb_sip.SIPTransferStatus.Value("STS_TRANSFER_SUCCESSFUL"))


class StandinHandle:
    """A stand-in serving from its own thread and event loop, usable from sync and async code alike."""

    def __init__(self, standin: Standin, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self.standin, self._loop, self._thread = standin, loop, thread

    @property
    def url(self) -> str:
        return self.standin.url

    @property
    def api_key(self) -> str:
        return self.standin.api_key

    @property
    def api_secret(self) -> str:
        return self.standin.api_secret

    @property
    def calls(self) -> list[RecordedCall]:
        return list(self.standin.calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        return self.standin.calls_to(method)

    def fail_next(self, service: str, method: str, code: str = "unavailable", msg: str = "injected failure",
                  times: int = 1) -> None:
        self._loop.call_soon_threadsafe(self.standin.fail_next, service, method, code, msg, times)
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self._loop).result(5)  # applied before returning

    def wait_for_jobs(self, timeout: float = 30.0) -> None:
        asyncio.run_coroutine_threadsafe(self.standin.wait_for_jobs(timeout), self._loop).result(timeout + 1)

    def stop(self) -> None:
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self.standin.stop(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> StandinHandle:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_standin(port: int = 0, *, host: str = "127.0.0.1", api_key: str | None = None,
                  api_secret: str | None = None, phone_network: PhoneNetwork | None = None,
                  dispatch_hook: DispatchHook | None = None, ring_scale: float = 1.0) -> StandinHandle:
    """Start a stand-in in a background thread; returns once it accepts connections (`handle.url`).

    Key and secret default to the settings' LIVEKIT_API_KEY / LIVEKIT_API_SECRET, so code that builds
    `LiveKitAPI` from settings works against it unchanged. The dispatch hook runs on the stand-in's loop.
    """
    if api_key is None or api_secret is None:
        from clinic.settings import get_settings

        s = get_settings()
        api_key = api_key or s.livekit_api_key
        api_secret = api_secret or s.livekit_api_secret.get_secret_value()
    standin = Standin(api_key, api_secret, phone_network=phone_network, dispatch_hook=dispatch_hook,
                      ring_scale=ring_scale)
    loop = asyncio.new_event_loop()
    ready: threading.Event = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(standin.start(host, port))
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name="livekit-standin", daemon=True)
    thread.start()
    ready.wait(10)
    if failure:
        raise RuntimeError(f"LiveKit stand-in could not start on {host}:{port}: {failure[0]}")
    return StandinHandle(standin, loop, thread)
