"""`python -m sim.sip_phone.caller`: place one SIP call and report it as one JSON record.

A softphone for tests and for trying the phone network by hand. It follows a list of steps the way a
scripted persona does (say a line, wait for the other side to finish, press keys, transfer with REFER, hang
up), records both directions, and prints the call's record (`ua.CallRecord`) with the final SIP status it
received, the digits it heard and the REFER NOTIFYs, then exits 0 (the call's outcome is in the JSON).

    python -m sim.sip_phone.caller --to sip:+12125550100@127.0.0.1:5080 \\
        --step wait --step "say:Hi, this is Sunrise Family Medicine." --step wait --step pause:2 --step hangup
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from pathlib import Path

from sim.sip_phone.audio import AudioError, EspeakVoice, read_wav
from sim.sip_phone.brain import AwaitTurn, HangUp, Pause, Press, Refer, Say, ScriptedBrain, Step
from sim.sip_phone.ua import CallRecord, EndpointConfig, Leg, SipEndpoint, uri_user

STEP_HELP = ("say:TEXT | wav:PATH | wait[:PATIENCE] | pause:SECONDS | dtmf:DIGITS | refer:URI | hangup")


def parse_step(raw: str) -> Step:
    """One --step; a ValueError names what is wrong with it."""
    kind, _, arg = raw.partition(":")
    if kind == "say" and arg:
        return Say(text=arg)
    if kind == "wav" and arg:
        try:
            return Say(pcm=read_wav(arg), label=Path(arg).name)
        except AudioError as exc:
            raise ValueError(f"--step {raw!r}: {exc}") from None
    if kind == "wait":
        return AwaitTurn(float(arg)) if arg else AwaitTurn()
    if kind == "pause" and arg:
        return Pause(float(arg))
    if kind == "dtmf" and arg and all(c in "0123456789*#ABCD" for c in arg):
        return Press(arg)
    if kind == "refer" and arg:
        return Refer(arg)
    if kind == "hangup":
        return HangUp("script")
    raise ValueError(f"--step {raw!r}: expected {STEP_HELP}")


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on `host` (asked of the OS, then checked on the other protocol)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((host, 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind((host, port))
                except OSError:
                    continue
            return int(port)
    raise RuntimeError("no free port")


def place_call(to: str, steps: list[Step], *, record_dir: Path, cache_dir: Path, port: int = 0,
               transport: str = "udp", max_seconds: float = 60.0, caller_id: str = "+15550000000",
               sip_log: Path | None = None) -> CallRecord:
    """Place the call, follow the steps, and return its record once it has ended (or after `max_seconds`)."""
    config = EndpointConfig(port=port or free_port(), tcp=transport == "tcp", record_dir=record_dir,
                            sip_log=sip_log, user=caller_id)
    endpoint = SipEndpoint(config, EspeakVoice(cache_dir).synthesize)
    uri = to if transport == "udp" or "transport=" in to else f"{to};transport=tcp"
    record = CallRecord(call_id="", direction="outbound", number=uri_user(to), caller=caller_id,
                        persona="caller", line="outbound")
    leg = Leg(endpoint, record, ScriptedBrain(steps, max_seconds=max_seconds))
    endpoint.legs.append(leg)
    leg.makeCall(uri, _op())
    record.call_id = leg.getInfo().callIdString
    del leg          # the endpoint holds it until it ends; no Call may outlive PJSIP
    deadline = time.monotonic() + max_seconds
    endpoint.run(lambda: not endpoint.legs or time.monotonic() > deadline)
    endpoint.shutdown()
    return record


def _op() -> object:
    import pjsua2 as pj

    return pj.CallOpParam(True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.sip_phone.caller", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--to", required=True, help="SIP URI to call, e.g. sip:+12125550100@127.0.0.1:5080")
    ap.add_argument("--step", action="append", default=[], help=STEP_HELP + " (repeatable, in order)")
    ap.add_argument("--transport", choices=("udp", "tcp"), default="udp")
    ap.add_argument("--port", type=int, default=0, help="local SIP port (default: a free one)")
    ap.add_argument("--caller-id", default="+15550000000", help="the From user part")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="hang up (or cancel) after this long")
    ap.add_argument("--record-dir", type=Path, default=Path("recordings/caller"))
    ap.add_argument("--cache-dir", type=Path, default=Path(".cache/sip_phone_tts"))
    ap.add_argument("--sip-log", type=Path, help="write PJSIP's log with every SIP message here")
    args = ap.parse_args(argv)
    try:
        steps = [parse_step(s) for s in args.step]
    except ValueError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    record = place_call(args.to, steps, record_dir=args.record_dir, cache_dir=args.cache_dir, port=args.port,
                        transport=args.transport, max_seconds=args.max_seconds, caller_id=args.caller_id,
                        sip_log=args.sip_log)
    print(record.to_json(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
