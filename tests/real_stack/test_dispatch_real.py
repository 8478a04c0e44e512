"""Dispatch against the real LiveKit server: a redelivered task (a worker killed after CreateDispatch, or
before it) never sends the agent twice, and never mistakes the server's answer for a missing room for an
outage (the real server answers ListDispatch on an unknown room with 503; the stand-in did not)."""

from __future__ import annotations

import asyncio
import json
import secrets

import pytest
from livekit import api

from clinic.settings import get_settings
from dialer.dispatch import create_dispatch
from sim import livekit_stack

pytestmark = pytest.mark.real_stack


def test_redelivered_dispatch_creates_once_and_finds_its_own() -> None:
    ep = livekit_stack.start()
    room = f"call-redeliver-{secrets.token_hex(4)}"
    metadata = json.dumps({"attempt_id": 1})

    async def scenario() -> tuple[str, str, int]:
        async with api.LiveKitAPI(ep.http_url, ep.api_key, ep.api_secret) as lk:
            first = await create_dispatch(lk, room, metadata, check_existing=True)     # no room yet
            again = await create_dispatch(lk, room, metadata, check_existing=True)     # redelivered
            mine = [d for d in await lk.agent_dispatch.list_dispatch(room) if d.agent_name == get_settings().agent_name]
            count = len(mine)   # (the server adds its own automatic dispatch, agent name "", to every room)
            await lk.room.delete_room(api.DeleteRoomRequest(room=room))
        return first, again, count

    first, again, count = asyncio.run(scenario())
    assert first == again
    assert count == 1
