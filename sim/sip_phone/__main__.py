"""`python -m sim.sip_phone`: the simulated phone network as a SIP service.

Every number is behind one SIP address (UDP and TCP): the trunk LiveKit dials out through points here. The
called number (Request-URI user part, else the To user) picks the persona: from a call list's `persona`
column, from --persona-for pairs, else chosen from the number. Busy numbers answer 486, rings-out 180 then
480 after --ring-timeout (or never, with 0, until the caller cancels), rejecters 603, voicemail boxes and
persons answer 200. --front-desk numbers are the clinic's own line: REFER transfers land there.

Prints one ready line (JSON: {"event": "ready", "listen": ..., "transports": [...], "pid": ...}) on stdout
once it accepts calls; writes one JSON line per call leg to --json-log; records both directions of every call
under --record-dir; stops cleanly (live calls hung up, records written) on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import signal
import sys
from pathlib import Path

from sim.personas import get_spec
from sim.phone_network import CallListError, PhoneNetwork, RedisCounter, Subscriber, read_personas
from sim.sip_phone.audio import EspeakVoice
from sim.sip_phone.lines import Directory, Timing


def _listen(raw: str) -> tuple[str, int]:
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"--listen {raw!r}: expected HOST:PORT, e.g. 127.0.0.1:5080")
    return host, int(port)


def _pair(raw: str) -> tuple[str, str]:
    number, sep, persona = raw.partition("=")
    if not sep or not number.strip() or not persona.strip():
        raise argparse.ArgumentTypeError(f"--persona-for {raw!r}: expected NUMBER=PERSONA")
    try:
        get_spec(persona.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--persona-for {raw!r}: {exc}") from None
    return number.strip(), persona.strip()


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m sim.sip_phone", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", type=_listen, default=("127.0.0.1", 5080), help="HOST:PORT (default 127.0.0.1:5080)")
    ap.add_argument("--no-tcp", action="store_true", help="UDP only")
    ap.add_argument("--call-list", type=Path, help="CSV whose `persona` column gives each number its persona")
    ap.add_argument("--persona-for", type=_pair, action="append", default=[], metavar="NUMBER=PERSONA",
                    help="give one number a persona (repeatable; wins over the call list)")
    ap.add_argument("--front-desk", action="append", default=[], metavar="NUMBER",
                    help="a clinic front-desk number: answers, greets, records (repeatable)")
    ap.add_argument("--record-dir", type=Path, default=Path("recordings/sip_phone"), help="WAVs go here")
    ap.add_argument("--json-log", type=Path, default=None, help="one JSON line per call leg (default: "
                    "RECORD_DIR/calls.jsonl)")
    ap.add_argument("--seed", default="0", help="seed for the personas' phrasing")
    ap.add_argument("--answer-after", type=float, default=1.0, help="seconds a person rings before answering")
    ap.add_argument("--machine-after", type=float, default=2.0, help="seconds a voicemail box rings")
    ap.add_argument("--ring-timeout", type=float, default=30.0,
                    help="no_answer numbers send 480 after this many seconds of ringing; 0 = ring until cancelled")
    ap.add_argument("--max-call", type=float, default=120.0, help="a person hangs up a call this old (seconds)")
    ap.add_argument("--max-message", type=float, default=60.0, help="voicemail message limit (seconds)")
    ap.add_argument("--patience", type=float, default=8.0,
                    help="a scripted person says their next line after this much silence (seconds)")
    ap.add_argument("--front-desk-seconds", type=float, default=30.0,
                    help="the front desk hangs up a call this old (seconds)")
    ap.add_argument("--counter-redis", metavar="URL", help="count calls per number in this Redis (busy_then_confirm "
                    "is busy only on a number's first call, also across restarts of the phone network)")
    ap.add_argument("--counter-prefix", default="sim:sip_phone:", help="Redis key prefix for the call counts")
    ap.add_argument("--tts-cache", type=Path, default=Path(".cache/sip_phone_tts"), help="synthesized speech cache")
    ap.add_argument("--sip-log", type=Path, help="write PJSIP's log with every SIP message here")
    ap.add_argument("--speech-url", metavar="URL", help="talking personas: persons hear the caller through this "
                    "speech server's /v1/audio/transcriptions (Whisper) and speak with its /v1/audio/speech "
                    "(Piper; espeak-ng if it fails), e.g. http://127.0.0.1:8090. Without it they follow a "
                    "script, taking turns without understanding.")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING").upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    subscribers: dict[str, Subscriber | str] = {}
    try:
        if args.call_list:
            subscribers.update(read_personas(args.call_list.read_bytes()))
    except (OSError, CallListError) as exc:
        print(json.dumps({"event": "error", "error": f"--call-list {args.call_list}: {exc}"}), flush=True)
        return 2
    counter = RedisCounter(args.counter_redis, args.counter_prefix) if args.counter_redis else None
    network = PhoneNetwork(subscribers, seed=args.seed, counter=counter)
    for number, persona in args.persona_for:
        network.assign(number, persona)
    timing = Timing(answer_after=args.answer_after, machine_after=args.machine_after,
                    ring_timeout=args.ring_timeout or None, max_call=args.max_call, max_message=args.max_message,
                    patience=args.patience, front_desk=args.front_desk_seconds)
    voice = EspeakVoice(args.tts_cache)
    host, port = args.listen
    record_dir: Path = args.record_dir
    record_dir.mkdir(parents=True, exist_ok=True)
    json_log = args.json_log or record_dir / "calls.jsonl"
    json_log.parent.mkdir(parents=True, exist_ok=True)

    from sim.sip_phone.network import PhoneNetworkUA
    from sim.sip_phone.ua import EndpointConfig

    try:
        voice.synthesize("Hello?")    # fail now, not on the first call, if there is no speech engine
        factory = None
        if args.speech_url:
            from sim.sip_phone.lines import make_brain
            from sim.sip_phone.speech import SpeechServerTranscriber, SpeechServerVoice

            ears = SpeechServerTranscriber(args.speech_url)
            mouth = SpeechServerVoice(args.speech_url, args.tts_cache / "piper", fallback=voice)
            mouth.synthesize("Hello?")    # warm the cache and check the server once
            factory = functools.partial(make_brain, seed=args.seed, timing=timing, transcriber=ears,
                                        network=network, voice=mouth.synthesize)
        ua = PhoneNetworkUA(EndpointConfig(host=host, port=port, tcp=not args.no_tcp, record_dir=record_dir,
                                            json_log=json_log, sip_log=args.sip_log), voice.synthesize,
                             Directory(network, args.front_desk), timing=timing, seed=args.seed,
                             brain_factory=factory)
    except Exception as exc:
        print(json.dumps({"event": "error", "error": f"cannot start on {host}:{port}: {exc}"}), flush=True)
        return 2
    stop = {"now": False}

    def _stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(json.dumps({"event": "ready", "listen": f"{host}:{port}", "transports": ua.transports,
                      "json_log": str(json_log), "record_dir": str(record_dir), "pid": os.getpid()}), flush=True)
    ua.run(lambda: stop["now"])
    ua.shutdown()
    print(json.dumps({"event": "stopped", "calls": len(ua.records)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
