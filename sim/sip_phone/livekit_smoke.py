"""`python -m sim.sip_phone.livekit_smoke`: the phone network behind a real LiveKit server and SIP service.

Starts the phone network, creates a temporary outbound trunk pointing at it, and for each persona places a
call with CreateSIPParticipant into a fresh room while a listener in that room plays an agent's lines
(synthesized speech) and collects what comes back: audio from the phone, DTMF (`sip_dtmf_received`), the
SIP status of failed calls. The human persona is then transferred with TransferSIPParticipant (REFER) to the
front desk. Prints one JSON object per scenario (`ok`, what was expected, what happened); exits 1 if any
scenario failed. The trunk and rooms are deleted afterwards. No agent worker is involved.

Needs a LiveKit server and SIP service that reach 127.0.0.1 (e.g. `python -m sim.livekit_stack start`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from livekit import api, rtc
from livekit.protocol import sip as sip_proto

from sim.sip_phone import audio
from sim.sip_phone.process import PhoneHandle, running_phone

DEV_KEY, DEV_SECRET = "devkey", "devsecret-devsecret-devsecret-0000"   # deployment/livekit's development pair
FRONT_DESK = "+12125559990"


@dataclass(frozen=True)
class Scenario:
    persona: str
    number: str
    expect_status: int             # SIP status LiveKit reports (200 = answered)
    expect_dtmf: str = ""
    transfer: bool = False
    agent_lines: tuple[str, ...] = ()


SCENARIOS = (
    Scenario("busy", "+12125550301", 486),
    Scenario("rejecter", "+12125550302", 603),
    Scenario("no_answer", "+12125550303", 480),
    Scenario("keypad_confirmer", "+12125550304", 200, expect_dtmf="1",
             agent_lines=("Hi, this is the automated assistant for Sunrise Family Medicine. Am I speaking with "
                          "Maria?", "Thanks. Press 1 to confirm your appointment.")),
    Scenario("voicemail", "+12125550305", 200,
             agent_lines=("Hi, this is Sunrise Family Medicine. Please call us back at 212 555 0100.",)),
    Scenario("human", "+12125550306", 200, transfer=True),
)


@dataclass
class Heard:
    dtmf: list[str] = field(default_factory=list)
    frames: int = 0
    loud_frames: int = 0


async def _listen(url: str, key: str, secret: str, room_name: str, lines: tuple[str, ...], seconds: float,
                  voice: audio.EspeakVoice, heard: Heard) -> None:
    """Join the room, play the agent's lines with pauses for the phone's replies, and collect what it sends."""
    token = (api.AccessToken(key, secret).with_identity("smoke-agent")
             .with_grants(api.VideoGrants(room_join=True, room=room_name)).to_jwt())
    room = rtc.Room()
    tasks: list[asyncio.Task[None]] = []

    async def consume(track: rtc.Track) -> None:
        async for ev in rtc.AudioStream(track):
            heard.frames += 1
            samples = np.frombuffer(ev.frame.data, dtype=np.int16).astype(np.float64)
            if samples.size and np.sqrt(np.mean(samples ** 2)) > 300:
                heard.loud_frames += 1

    @room.on("sip_dtmf_received")
    def _dtmf(ev: rtc.SipDTMF) -> None:
        heard.dtmf.append(ev.digit)

    @room.on("track_subscribed")
    def _track(track: rtc.Track, *_: Any) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            tasks.append(asyncio.ensure_future(consume(track)))

    await room.connect(url.replace("http", "ws", 1), token)
    started = time.monotonic()
    if lines:
        source = rtc.AudioSource(audio.RATE, 1)
        track = rtc.LocalAudioTrack.create_audio_track("agent", source)
        await room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
        speech = audio.silence(4.0) + b"".join(voice.synthesize(line) + audio.silence(4.0) for line in lines)
        step = audio.FRAME_BYTES // 2      # 10 ms frames
        for i in range(0, len(speech), step):
            await source.capture_frame(rtc.AudioFrame(speech[i:i + step].ljust(step, b"\0"), audio.RATE, 1,
                                                      step // 2))
    await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))
    await room.disconnect()
    for t in tasks:
        t.cancel()


async def _run_one(lk: api.LiveKitAPI, phone: PhoneHandle, trunk_id: str, sc: Scenario, url: str, key: str,
                   secret: str, voice: audio.EspeakVoice) -> dict[str, Any]:
    room_name = f"phone-smoke-{sc.persona}-{int(time.time())}"
    heard = Heard()
    listener = asyncio.ensure_future(_listen(url, key, secret, room_name, sc.agent_lines,
                                             24.0 if sc.agent_lines else 12.0, voice, heard))
    await asyncio.sleep(1.0)
    status, call_id, error = 200, "", ""
    t = time.monotonic()
    try:
        p = await lk.sip.create_sip_participant(sip_proto.CreateSIPParticipantRequest(
            sip_trunk_id=trunk_id, sip_call_to=sc.number, room_name=room_name, participant_identity="patient",
            wait_until_answered=True))
        call_id = p.sip_call_id
        if sc.transfer:
            await asyncio.sleep(4.0)
            await lk.sip.transfer_sip_participant(sip_proto.TransferSIPParticipantRequest(
                room_name=room_name, participant_identity="patient", transfer_to=f"tel:{FRONT_DESK}"))
    except api.TwirpError as exc:
        status = int(exc.metadata.get("sip_status_code", 0) or 0)
        error = exc.message
    setup = round(time.monotonic() - t, 2)
    await listener
    with contextlib.suppress(api.TwirpError):
        await lk.room.delete_room(api.DeleteRoomRequest(room=room_name))
    leg = _phone_leg(phone, sc.number)
    result: dict[str, Any] = {"persona": sc.persona, "sip_status": status, "seconds_to_answer_or_fail": setup,
                              "livekit_sip_call_id": call_id, "dtmf_in_room": heard.dtmf,
                              "phone_audio_frames_in_room": heard.loud_frames, "phone_record": leg, "error": error}
    problems = []
    if status != sc.expect_status:
        problems.append(f"sip status {status}, expected {sc.expect_status}")
    if leg is None or leg["sip_status"] != sc.expect_status:
        problems.append(f"phone recorded {leg and leg['sip_status']}, expected {sc.expect_status}")
    if sc.expect_dtmf and heard.dtmf != [sc.expect_dtmf]:
        problems.append(f"room got DTMF {heard.dtmf}, expected {sc.expect_dtmf}")
    if sc.expect_status == 200 and heard.loud_frames == 0:
        problems.append("no audio from the phone reached the room")
    if sc.persona == "voicemail" and not (leg and leg.get("message_recording")):
        problems.append("the voicemail box recorded no message")
    if sc.transfer:
        desk = phone.wait_for_record(lambda r: r["persona"] == "front_desk", timeout=40) if leg else None
        result["front_desk_record"] = desk
        if not desk or (desk.get("transferred_from") or {}).get("number") != sc.number:
            problems.append("the transfer did not reach the front desk")
    result["ok"], result["problems"] = not problems, problems
    return result


def _phone_leg(phone: PhoneHandle, number: str) -> dict[str, Any] | None:
    try:
        return phone.wait_for_record(lambda r: r["number"] == number and r["direction"] == "inbound", timeout=40)
    except TimeoutError:
        return None


async def run(url: str, key: str, secret: str, record_dir: Path, port: int | None) -> list[dict[str, Any]]:
    voice = audio.EspeakVoice(record_dir / "tts")
    personas = {sc.number: sc.persona for sc in SCENARIOS}
    with running_phone(record_dir / "phone", personas=personas, front_desk=[FRONT_DESK], port=port,
                       extra=["--answer-after", "1", "--machine-after", "1.5", "--ring-timeout", "4",
                              "--patience", "6", "--front-desk-seconds", "6"]) as phone:
        lk = api.LiveKitAPI(url, key, secret)
        trunk = await lk.sip.create_outbound_trunk(sip_proto.CreateSIPOutboundTrunkRequest(
            trunk=sip_proto.SIPOutboundTrunkInfo(name="phone-network-smoke", address=phone.address,
                                                 numbers=["+15550001111"])))
        try:
            return [await _run_one(lk, phone, trunk.sip_trunk_id, sc, url, key, secret, voice) for sc in SCENARIOS]
        finally:
            await lk.sip.delete_trunk(sip_proto.DeleteSIPTrunkRequest(sip_trunk_id=trunk.sip_trunk_id))
            await lk.aclose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.sip_phone.livekit_smoke", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    env_url = os.environ.get("LIVEKIT_URL", "")
    ap.add_argument("--url", default=env_url if "127.0.0.1" in env_url or "localhost" in env_url
                    else "http://127.0.0.1:7880", help="LiveKit server (default: local)")
    ap.add_argument("--api-key", default=os.environ.get("LIVEKIT_API_KEY") or DEV_KEY)
    ap.add_argument("--api-secret", default=os.environ.get("LIVEKIT_API_SECRET") or DEV_SECRET)
    ap.add_argument("--record-dir", type=Path, default=None, help="recordings (default: a temporary folder)")
    ap.add_argument("--port", type=int, default=None, help="phone network SIP port (default: a free one)")
    args = ap.parse_args(argv)
    record_dir = args.record_dir or Path(tempfile.mkdtemp(prefix="phone-smoke-"))
    results = asyncio.run(run(args.url, args.api_key, args.api_secret, record_dir, args.port))
    for r in results:
        print(json.dumps(r, sort_keys=True))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
