"""`python -m sim.local_llm [--port N]`: run the stand-in OpenAI-compatible chat-completions endpoint.

Prints one JSON line when it is ready to serve: `{"url": "http://HOST:PORT/v1", "port": PORT, "pid": PID}`
(`--port 0` picks a free port). Point the agent at it with OPENAI_BASE_URL=<url> and any OPENAI_API_KEY."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys

from aiohttp import web

from sim.local_llm.policy import Policy
from sim.local_llm.server import FAULT_MODES, Fault, ServerState, build_app


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sim.local_llm", description=(
        "A local OpenAI-compatible chat-completions endpoint (streaming and tool calls) standing in for the "
        "cloud model. Its replies are deterministic: agent.intents reads the patient, tool results set the "
        "stage. Faults on demand: --fault or POST /control/fault {mode, after, times, seconds}."))
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8091, help="port (default 8091; 0 = any free port)")
    p.add_argument("--fault", choices=FAULT_MODES, default="none", help="start with this fault (default none)")
    p.add_argument("--fault-after", type=int, default=0, metavar="N", help="let N requests through first")
    p.add_argument("--slow-seconds", type=float, default=5.0, metavar="S",
                   help="--fault slow: seconds before the first chunk (default 5)")
    p.add_argument("--reckless-identity", action="store_true",
                   help="call confirm_identity at the identity step whatever was said (guard tests)")
    p.add_argument("--json", action="store_true", help="the ready line is JSON (always; kept for symmetry)")
    return p


async def _serve(args: argparse.Namespace) -> None:
    from agent.intents import classify

    classify("yes, speaking", "identity")   # load the intent model before saying we are ready
    state = ServerState(policy=Policy(reckless_identity=args.reckless_identity),
                        fault=Fault(mode=args.fault, after=args.fault_after, seconds=args.slow_seconds))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    port = sock.getsockname()[1]
    print(json.dumps({"url": f"http://{args.host}:{port}/v1", "port": port, "pid": os.getpid()}), flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.fault_after < 0:
        print("local_llm: --fault-after: must be >= 0", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        print(f"local_llm: --port: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
