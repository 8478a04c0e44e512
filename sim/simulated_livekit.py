"""The LiveKit stand-in wired for the demo: the simulated phone network answers CreateSIPParticipant, and
every CreateDispatch runs the real agent job in `sim` mode in this process.

Run as its own process (`python -m sim.simulated_livekit --port P --call-list FILE`) so the demo and
the chaos test can kill and restart it like a LiveKit server; or in-process with `start(...)`.
Only the phone network and the LiveKit server are simulated: the dispatch hook calls
`agent.sim_mode.run_sim_job`, which is the production call code path talking to this stand-in through
the unmodified `livekit.api.LiveKitAPI` client."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from livekit.protocol import agent_dispatch as pb_dispatch

from clinic.logs import get_logger
from clinic.settings import get_settings
from sim.livekit_standin import Standin, StandinHandle, start_standin
from sim.livekit_standin.server import DispatchHook
from sim.phone_network import MemoryCounter, PhoneNetwork, RedisCounter, read_personas

log = get_logger(__name__)


def dispatch_hook(network: PhoneNetwork, standin_url: list[str], api_key: str, api_secret: str) -> DispatchHook:
    """A hook that runs the agent job for each dispatch (`standin_url[0]` is filled once the server listens)."""

    async def run_job(dispatch: pb_dispatch.AgentDispatch) -> None:
        from agent.sim_mode import run_sim_job

        await run_sim_job(dispatch.room, dispatch.metadata, network.far_end_for, standin_url[0], api_key,
                          api_secret)

    return run_job


def start(network: PhoneNetwork, *, port: int = 0, ring_scale: float = 0.0) -> StandinHandle:
    """In-process: a stand-in on a background thread running agent jobs for `network`."""
    s = get_settings()
    key, secret = s.livekit_api_key, s.livekit_api_secret.get_secret_value()
    url: list[str] = [""]
    handle = start_standin(port, api_key=key, api_secret=secret, phone_network=network,
                           dispatch_hook=dispatch_hook(network, url, key, secret), ring_scale=ring_scale)
    url[0] = handle.url
    return handle


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sim.simulated_livekit", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7880)
    parser.add_argument("--call-list", type=Path, help="CSV with phone (and persona, patient_name) columns")
    parser.add_argument("--seed", default="0", help="seed for the personas' phrasing")
    parser.add_argument("--counter-prefix", default=None,
                        help="keep per-number call counts in Redis under this prefix (survives restarts)")
    parser.add_argument("--ring-scale", type=float, default=0.0, help="multiply ring times (0 = instant)")
    parser.add_argument("--llm", action="store_true", help="let an LLM play the personas (needs OPENAI_API_KEY)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    s = get_settings()
    subscribers = read_personas(args.call_list.read_bytes()) if args.call_list else {}
    counter = RedisCounter(s.redis_url, args.counter_prefix) if args.counter_prefix else MemoryCounter()
    network = PhoneNetwork(subscribers, seed=args.seed, counter=counter, use_llm=args.llm)
    key, secret = s.livekit_api_key, s.livekit_api_secret.get_secret_value()

    # Import the agent before listening, so the first call is not slowed by imports (ready = warm).
    import agent.sim_mode  # noqa: F401

    async def run() -> None:
        url: list[str] = [""]
        standin = Standin(key, secret, phone_network=network, dispatch_hook=dispatch_hook(network, url, key, secret),
                          ring_scale=args.ring_scale)
        url[0] = await standin.start(args.host, args.port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"simulated LiveKit listening on {url[0]}", flush=True)
        await stop.wait()
        await standin.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
