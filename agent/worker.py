"""The LiveKit worker: explicit dispatch by agent name, Silero VAD loaded once per process in prewarm,
one job = one call. The call itself is `agent.call_driver.run_call` over a `RoomTransport` (`sip` dials
the patient; `web` = the tester is already in the room)."""

from __future__ import annotations

import logging
from typing import Any

from livekit.agents import AgentServer, JobContext, JobProcess, cli
from livekit.plugins import silero

from agent import call_flow
from agent.call_context import CallNotDialable, parse_metadata
from agent.call_driver import run_call
from agent.gc_tuning import settle_heap
from agent.room_transport import RoomTransport, end_call
from clinic.logs import install_phi_filter
from clinic.settings import get_settings

__all__ = ["end_call", "entrypoint", "main", "server"]

log = logging.getLogger("agent.worker")


def _server() -> AgentServer:
    """LiveKit's defaults unless a setting says otherwise (see clinic/settings.py: agent_*)."""
    s = get_settings()
    # LiveKit's worker reads only the environment; passing the settings lets `.env` work too (the worker
    # then exports them to its job processes, whose `ctx.api` reads them).
    options: dict[str, Any] = {"host": s.agent_http_host, "ws_url": s.livekit_url, "api_key": s.livekit_api_key,
                               "api_secret": s.livekit_api_secret.get_secret_value()}
    if s.agent_max_jobs is not None:
        max_jobs = s.agent_max_jobs
        options["load_fnc"] = lambda srv: min(1.0, len(srv.active_jobs) / max_jobs)
        # Full only at max_jobs: with LiveKit's 0.7 threshold, AGENT_MAX_JOBS=2 refused a job while one call's
        # process was still closing, and the server drops a job no worker takes (the reaper then ends it `lost`).
        options["load_threshold"] = 1.0
    if s.agent_idle_processes is not None:
        options["num_idle_processes"] = s.agent_idle_processes
    if s.agent_http_port is not None:
        options["port"] = s.agent_http_port
    return AgentServer(**options)


server = _server()


def prewarm(proc: JobProcess) -> None:
    install_phi_filter()   # the job process's log-forwarding handler exists by now
    proc.userdata["vad"] = silero.VAD.load()
    settle_heap()


server.setup_fnc = prewarm


@server.rtc_session(agent_name=get_settings().agent_name)
async def entrypoint(ctx: JobContext) -> None:
    # Any exception ends the attempt `failed` with its reason and feeds the circuit breaker (call_flow.guard_job).
    await call_flow.guard_job(ctx.job.metadata, _run_job(ctx))


async def _run_job(ctx: JobContext) -> None:
    try:
        attempt_id = parse_metadata(ctx.job.metadata)
    except CallNotDialable as exc:
        log.warning("job skipped: %s", exc)
        return
    await run_call(attempt_id, RoomTransport(ctx))


def main() -> None:
    install_phi_filter()
    cli.run_app(server)
