"""The unmodified livekit-api client against the stand-in: success, auth errors, SIP failures."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from livekit import api
from livekit.api.twirp_client import ServerError, SipCallError

from sim.livekit_standin import BUSY, DialResult, ScriptedPhoneNetwork, Standin, start_standin

KEY, SECRET = "testkey", "testsecret-testsecret-testsecret-00"


@pytest.fixture
async def standin():
    s = Standin(KEY, SECRET, phone_network=ScriptedPhoneNetwork({
        "+14155550186": BUSY, "+14155550180": 480, "+14155550108": 408, "+14155550163": 603,
        "+14155550150": DialResult(503, ring_seconds=0.05)}))
    await s.start()
    yield s
    await s.stop()


def _sip(number: str, room: str = "call-1") -> api.CreateSIPParticipantRequest:
    return api.CreateSIPParticipantRequest(sip_trunk_id="ST_test", sip_call_to=number, room_name=room,
                                           participant_identity="patient", wait_until_answered=True)


async def test_rooms_dispatch_and_sip_success(standin: Standin) -> None:
    jobs: list[tuple[str, str]] = []

    async def hook(d: api.AgentDispatch) -> None:
        jobs.append((d.room, d.metadata))

    standin.dispatch_hook = hook
    async with api.LiveKitAPI(standin.url, KEY, SECRET) as lk:
        room = await lk.room.create_room(api.CreateRoomRequest(name="call-1"))
        assert room.sid.startswith("RM_")
        d = await lk.agent_dispatch.create_dispatch(api.CreateAgentDispatchRequest(
            agent_name="appointment-confirmer", room="call-1", metadata=json.dumps({"attempt_id": 1})))
        assert d.id.startswith("AD_") and d.agent_name == "appointment-confirmer"
        assert [x.id for x in await lk.agent_dispatch.list_dispatch("call-1")] == [d.id]
        info = await lk.sip.create_sip_participant(_sip("+14155550132"))
        assert info.sip_call_id.startswith("SCL_") and info.room_name == "call-1"
        rooms = (await lk.room.list_rooms(api.ListRoomsRequest(names=["call-1"]))).rooms
        assert [(r.name, r.num_participants) for r in rooms] == [("call-1", 1)]
        t = await lk.sip.transfer_sip_participant(api.TransferSIPParticipantRequest(
            room_name="call-1", participant_identity="patient", transfer_to="tel:+14155550100"))
        assert t.transfer_id
        await lk.agent_dispatch.delete_dispatch(d.id, "call-1")
        await lk.room.delete_room(api.DeleteRoomRequest(room="call-1"))
        assert (await lk.room.list_rooms(api.ListRoomsRequest())).rooms == []
    await standin.wait_for_jobs()
    assert jobs == [("call-1", '{"attempt_id": 1}')]
    assert [c.method for c in standin.calls][:3] == ["CreateRoom", "CreateDispatch", "ListDispatch"]


@pytest.mark.parametrize(("number", "code", "twirp_code", "http"), [
    ("+14155550186", 486, "unavailable", 503), ("+14155550180", 480, "unavailable", 503),
    ("+14155550108", 408, "deadline_exceeded", 408), ("+14155550163", 603, "permission_denied", 403),
    ("+14155550150", 503, "unavailable", 503),
])
async def test_sip_failures_raise_sip_call_error(standin: Standin, number: str, code: int, twirp_code: str,
                                                 http: int) -> None:
    async with api.LiveKitAPI(standin.url, KEY, SECRET) as lk:
        with pytest.raises(SipCallError) as err:
            await lk.sip.create_sip_participant(_sip(number))
    assert (err.value.sip_status_code, err.value.code, err.value.status) == (code, twirp_code, http)
    assert err.value.sip_status
    assert standin.calls[-1].sip_status_code == code


@pytest.mark.parametrize(("key", "secret"), [(KEY, "wrong-secret-wrong-secret-wrong-00"), ("otherkey", SECRET)])
async def test_bad_credentials_are_unauthenticated(standin: Standin, key: str, secret: str) -> None:
    async with api.LiveKitAPI(standin.url, key, secret) as lk:
        with pytest.raises(ServerError) as err:
            await lk.room.create_room(api.CreateRoomRequest(name="x"))
    assert (err.value.code, err.value.status) == ("unauthenticated", 401)
    assert not isinstance(err.value, SipCallError)


async def test_missing_grant_is_permission_denied(standin: Standin) -> None:
    # A token for another room does not allow dispatching into this one.
    token = api.AccessToken(KEY, SECRET).with_grants(api.VideoGrants(room_admin=True, room="call-2")).to_jwt()
    async with aiohttp.ClientSession() as session:
        resp = await session.post(
            f"{standin.url}/twirp/livekit.AgentDispatchService/CreateDispatch",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            data=json.dumps({"agentName": "a", "room": "call-1"}))
        assert resp.status == 403
        assert (await resp.json())["code"] == "permission_denied"
        # No sip.call grant: CreateSIPParticipant is refused before anything is dialed.
        resp = await session.post(
            f"{standin.url}/twirp/livekit.SIP/CreateSIPParticipant",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            data=json.dumps({"sipTrunkId": "ST_x", "sipCallTo": "+14155550132", "roomName": "call-1"}))
        assert resp.status == 403 and "sip.call" in (await resp.json())["msg"]
        resp = await session.post(f"{standin.url}/twirp/livekit.RoomService/CreateRoom",
                                  headers={"Content-Type": "application/json"}, data="{}")
        assert resp.status == 401


async def test_json_bodies_and_injected_outage(standin: Standin) -> None:
    token = api.AccessToken(KEY, SECRET).with_grants(api.VideoGrants(room_create=True)).to_jwt()
    async with aiohttp.ClientSession() as session:
        resp = await session.post(f"{standin.url}/twirp/livekit.RoomService/CreateRoom",
                                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                  data=json.dumps({"name": "json-room", "emptyTimeout": 60}))
        assert resp.status == 200 and (await resp.json())["name"] == "json-room"
        resp = await session.post(f"{standin.url}/twirp/livekit.RoomService/Nope",
                                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                  data="{}")
        assert (resp.status, (await resp.json())["code"]) == (404, "bad_route")
    standin.fail_next("RoomService", "CreateRoom", "unavailable", times=1)
    async with api.LiveKitAPI(standin.url, KEY, SECRET) as lk:
        with pytest.raises(ServerError) as err:
            await lk.room.create_room(api.CreateRoomRequest(name="y"))
        assert err.value.status == 503
        assert (await lk.room.create_room(api.CreateRoomRequest(name="y"))).name == "y"


def test_threaded_handle_from_sync_code() -> None:
    with start_standin(api_key=KEY, api_secret=SECRET) as handle:
        async def go() -> str:
            async with api.LiveKitAPI(handle.url, KEY, SECRET) as lk:
                return (await lk.room.create_room(api.CreateRoomRequest(name="sync"))).name

        assert asyncio.run(go()) == "sync"
        assert [c.method for c in handle.calls] == ["CreateRoom"]
