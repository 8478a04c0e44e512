"""Ending a call ends the phone call: the room is deleted (LiveKit then sends the SIP BYE), both in the
worker's shutdown path and in the sim path, checked against the LiveKit stand-in's recorded requests."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from livekit import api, rtc
from livekit.agents import JobContext, JobProcess
from livekit.agents.job import JobAcceptArguments, JobExecutorType, RunningJobInfo
from livekit.agents.utils import http_context
from livekit.protocol import agent as pb_agent
from livekit.protocol import models as pb_models

from agent.room_transport import end_call
from tests.agent.conftest import ScriptedFarEnd


def _job_context(url: str, room_name: str, shutdowns: list[str]) -> JobContext:
    """A real JobContext (not a fake/console job), as the worker's job process builds it."""
    info = RunningJobInfo(accept_arguments=JobAcceptArguments(name="agent", identity="agent", metadata=""),
                          job=pb_agent.Job(id="AJ_1", room=pb_models.Room(name=room_name)), url=url, token="",
                          worker_id="W_1", fake_job=False)
    proc = JobProcess(executor_type=JobExecutorType.THREAD, user_arguments=None, http_proxy=None)
    return JobContext(proc=proc, info=info, room=rtc.Room(), on_connect=lambda: None, on_shutdown=shutdowns.append,
                      inference_executor=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("hang_up", [True, False])
def test_worker_end_call_deletes_the_room_before_shutdown(standin: Any, monkeypatch: pytest.MonkeyPatch,
                                                           hang_up: bool) -> None:
    monkeypatch.setitem(os.environ, "LIVEKIT_URL", standin.url)
    monkeypatch.setitem(os.environ, "LIVEKIT_API_KEY", standin.api_key)
    monkeypatch.setitem(os.environ, "LIVEKIT_API_SECRET", standin.api_secret)
    shutdowns: list[str] = []

    async def scenario() -> None:
        async with api.LiveKitAPI(standin.url, standin.api_key, standin.api_secret) as lk:
            await lk.room.create_room(api.CreateRoomRequest(name="call-7"))
        ctx = _job_context(standin.url, "call-7", shutdowns)
        async with http_context.open():
            await end_call(ctx, "call finished", hang_up=hang_up)
        async with api.LiveKitAPI(standin.url, standin.api_key, standin.api_secret) as lk:
            rooms = await lk.room.list_rooms(api.ListRoomsRequest())
        assert [r.name for r in rooms.rooms] == ([] if hang_up else ["call-7"])

    asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    assert shutdowns == ["call finished"]
    deleted = [c.as_json()["request"]["room"] for c in standin.calls_to("DeleteRoom")]
    assert deleted == (["call-7"] if hang_up else [])


def test_finished_sim_call_deletes_its_room(world: dict[str, Any], run_call: Any, standin: Any) -> None:
    result = run_call(ScriptedFarEnd(["yes", "yes"]))
    assert result.outcome == "confirmed"
    methods = [c.method for c in standin.calls]
    assert methods.index("DeleteRoom") > methods.index("CreateSIPParticipant")
    assert standin.calls_to("DeleteRoom")[0].as_json()["request"]["room"] == f"call-{world['attempt']['id']}"
    assert standin.calls_to("DeleteRoom")[0].error is None


def test_voicemail_hangs_up_after_the_message(world: dict[str, Any], run_call: Any, standin: Any) -> None:
    far_end = ScriptedFarEnd([], greeting="Hi, you've reached Maria. Please leave a message after the tone.",
                             kind="machine")
    result = run_call(far_end)
    assert result.outcome == "voicemail_left"
    assert len(standin.calls_to("DeleteRoom")) == 1
