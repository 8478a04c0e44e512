"""`python -m sim.livekit_standin --port 7880`: the stand-in as its own process (demo, benchmarks)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from clinic.settings import get_settings
from sim.livekit_standin.phone_network import DialResult, ScriptedPhoneNetwork
from sim.livekit_standin.server import Standin


def _fail_rule(text: str) -> tuple[str, DialResult]:
    number, sep, code = text.partition("=")
    if not sep or not number.startswith("+") or not code.isdigit():
        raise argparse.ArgumentTypeError(f"--fail {text!r}: use +E164=SIPCODE, e.g. +14155550100=486")
    return number, DialResult(int(code))


def main() -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m sim.livekit_standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7880)
    parser.add_argument("--api-key", default=settings.livekit_api_key)
    parser.add_argument("--api-secret", default=settings.livekit_api_secret.get_secret_value())
    parser.add_argument("--fail", type=_fail_rule, action="append", default=[], metavar="+E164=SIPCODE",
                        help="make CreateSIPParticipant to this number fail with this SIP status (repeatable)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def run() -> None:
        standin = Standin(args.api_key, args.api_secret, phone_network=ScriptedPhoneNetwork(dict(args.fail)))
        url = await standin.start(args.host, args.port)
        logging.getLogger("sim.livekit_standin").info("LiveKit stand-in listening on %s", url)
        try:
            await asyncio.Event().wait()
        finally:
            await standin.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
