"""The SIP user agent under the phone network and the test caller (pjsua2, the PJSIP project's bindings).

One `SipEndpoint` per process (PJSIP allows one). It listens on UDP and TCP, runs every SIP transaction and
every timer on the main thread (`run`), and gives each call leg a `Leg`: a brain (`brain.py`) that hears
the remote party 20 ms at a time and says what to do, two recorders (what the phone heard, what it said)
and a JSON record written when the leg ends. The only work on PJSIP's media thread is moving 20 ms frames
between the conference bridge and two in-memory buffers (`_Ear`, `_Mouth`).

`network.PhoneNetworkUA` answers as the called number's persona; `caller.place_call` places one call.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pjsua2 as pj

from sim.sip_phone import audio
from sim.sip_phone.brain import Action, HangUp, LineBrain, Mark, Press, Refer, Say

log = logging.getLogger(__name__)

Voice = Callable[[str], bytes]   # text -> 16 kHz mono PCM


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds") if ts else None


_HEADER_RE = re.compile(r"^([A-Za-z-]+)\s*:\s*(.*)$")
_SHORT = {"f": "from", "t": "to", "i": "call-id", "m": "contact"}


def parse_request(whole: str) -> tuple[str, dict[str, str]]:
    """The Request-URI and the headers (lower-case names, compact forms expanded) of a SIP request."""
    lines = whole.replace("\r\n", "\n").split("\n")
    parts = lines[0].split()
    uri = parts[1] if len(parts) > 1 else ""
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line.strip():
            break
        m = _HEADER_RE.match(line)
        if m:
            name = m.group(1).lower()
            headers.setdefault(_SHORT.get(name, name), m.group(2).strip())
    return uri, headers


def uri_user(uri: str) -> str:
    """`+12125550123` from `"Name" <sip:+12125550123@host;x=y>`, `tel:+1212...;ext=1` or `sip:+1...@h`."""
    u = uri.strip()
    if "<" in u:
        u = u[u.index("<") + 1:u.index(">") if ">" in u else None]
    for scheme in ("sip:", "sips:", "tel:"):
        if u.lower().startswith(scheme):
            u = u[len(scheme):]
            break
    return re.split(r"[@;?>]", u, maxsplit=1)[0]


@dataclass
class CallRecord:
    """One call leg as the phone network saw it; written as a JSON line when the leg ends."""

    call_id: str
    direction: Literal["inbound", "outbound"]   # inbound = the network was called; outbound = it placed the call
    number: str                   # the number called (inbound: this network's number; outbound: the target)
    caller: str                   # the From user part (inbound), the placing number (outbound)
    persona: str                  # persona name, "front_desk", or "caller" for the test caller
    line: str                     # person | machine | busy | no_answer | reject | front_desk | outbound
    call_number: int = 1          # the n-th call to this number (busy_then_confirm is busy on the first)
    sip_status: int | None = None  # final response: sent (inbound) or received (outbound)
    sip_reason: str = ""
    provisional: list[int] = field(default_factory=list)   # 1xx sent (inbound) or received (outbound)
    started_at: str | None = None
    answered_at: str | None = None
    ended_at: str | None = None
    ended_by: str = ""            # remote | phone | shutdown
    hangup_reason: str = ""       # why the phone hung up (persona, max_seconds, max_message, silence, ...)
    # Times: `at` is wall-clock ISO 8601 UTC; `t` is seconds into this leg's recording.
    dtmf_sent: list[dict[str, Any]] = field(default_factory=list)       # {digit, at, t}
    dtmf_received: list[dict[str, Any]] = field(default_factory=list)   # {digit, at, t}
    said: list[dict[str, Any]] = field(default_factory=list)            # {text | label, t, seconds}
    marks: dict[str, float] = field(default_factory=dict)               # name -> t
    transfer: dict[str, Any] | None = None          # REFER received: {refer_to, target, at, new_call_id}
    transferred_from: dict[str, Any] | None = None  # this leg is a transfer: {number, call_id}
    recording: str | None = None          # stereo WAV: left = remote party, right = this phone
    recording_remote: str | None = None   # mono WAV of what the phone heard
    recording_phone: str | None = None    # mono WAV of what the phone said
    message_recording: str | None = None  # voicemail: the remote audio after the beep

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


class _Ear(pj.AudioMediaPort):
    """Receives the remote party's frames on the media thread; the main thread drains them."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: deque[bytes] = deque(maxlen=3000)

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:
        # The media thread can call a port whose Python side is being torn down (its attributes already gone);
        # an exception escaping a pjsua2 callback aborts the whole phone network, so a late frame is dropped.
        frames = getattr(self, "frames", None)
        if frames is not None and frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size:
            frames.append(bytes(frame.buf))


class _Mouth(pj.AudioMediaPort):
    """Plays queued PCM to the call, silence when there is none."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pcm = bytearray()
        self._silence = pj.ByteVector(bytes(audio.FRAME_BYTES))

    def queue(self, pcm: bytes) -> None:
        with self._lock:
            self._pcm.extend(pcm)

    @property
    def speaking(self) -> bool:
        with self._lock:
            return bool(self._pcm)

    def onFrameRequested(self, frame: pj.MediaFrame) -> None:
        lock = getattr(self, "_lock", None)    # torn down (see _Ear.onFrameReceived): silence
        if lock is None:
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
            frame.buf = pj.ByteVector(bytes(audio.FRAME_BYTES))
            frame.size = audio.FRAME_BYTES
            return
        with lock:
            chunk = bytes(self._pcm[: audio.FRAME_BYTES])
            del self._pcm[: audio.FRAME_BYTES]
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        if chunk:
            frame.buf = pj.ByteVector(chunk.ljust(audio.FRAME_BYTES, b"\x00"))
        else:
            frame.buf = self._silence
        frame.size = audio.FRAME_BYTES


def _audio_format() -> pj.MediaFormatAudio:
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, audio.RATE, 1, audio.FRAME_MS * 1000, 16)
    return fmt


class Leg(pj.Call):
    """One call leg: its brain, its media, its record. All methods run on the main thread."""

    def __init__(self, endpoint: SipEndpoint, record: CallRecord, brain: LineBrain | None,
                 call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(endpoint.account, call_id)
        self.endpoint = endpoint
        self.record = record
        self.brain = brain
        self.started = time.time()
        self.media_started: float | None = None    # monotonic time the recorders started
        self.ear: _Ear | None = None
        self.mouth: _Mouth | None = None
        self.recorders: list[pj.AudioMediaRecorder] = []
        self.dir: Path | None = None
        self.disconnected = False
        self.final_sent = False
        self.hangup_by_phone = False
        self.timers: list[tuple[float, Callable[[], None]]] = []
        record.started_at = _iso(self.started)

    # -- answering (inbound) -------------------------------------------------------------------------------
    def respond(self, code: int, reason: str = "") -> None:
        """Send a response to the INVITE: 180/183 provisional, 200 answer, or a final failure."""
        if self.disconnected or self.final_sent:
            return
        prm = pj.CallOpParam(True)
        prm.statusCode = code
        if reason:
            prm.reason = reason
        try:
            if code < 300:
                self.answer(prm)
            else:
                self.hangup(prm)
        except pj.Error as exc:
            log.warning("respond %s failed: %s", code, exc.info())
            return
        if code < 200 and code not in self.record.provisional:
            self.record.provisional.append(code)
        if code >= 200:
            self.final_sent = True
            self.record.sip_status = code
            self.record.sip_reason = reason or _REASONS.get(code, "")

    def after(self, seconds: float | None, fn: Callable[[], None]) -> None:
        if seconds is not None:
            self.timers.append((time.monotonic() + seconds, fn))

    # -- PJSUA callbacks -----------------------------------------------------------------------------------
    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_EARLY and self.record.direction == "outbound":
            code = int(info.lastStatusCode)
            if 100 < code < 200 and code not in self.record.provisional:
                self.record.provisional.append(code)
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED and not self.record.answered_at:
            self.record.answered_at = _iso(time.time())
            if self.brain is not None:
                self.brain.on_answer(time.monotonic())
            self.endpoint.on_answered(self)
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.disconnected = True
            if self.record.direction == "outbound" or self.record.sip_status is None:
                # Outbound: what the far end answered. Inbound without a final response of ours: the caller
                # cancelled and PJSIP answered 487 Request Terminated.
                code = info.lastStatusCode
                self.record.sip_status = 200 if (self.record.answered_at and self.record.direction == "outbound") \
                    else int(code)
                self.record.sip_reason = "OK" if self.record.sip_status == 200 else info.lastReason
            if not self.record.ended_by:
                self.record.ended_by = "phone" if self.hangup_by_phone else "remote"
            self.endpoint.ended.append(self)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        if self.media_started is not None:
            return
        try:
            call_audio = self.getAudioMedia(-1)
        except pj.Error:
            return
        self.dir = self.endpoint.leg_dir(self.record)
        fmt = _audio_format()
        self.ear, self.mouth = _Ear(), _Mouth()
        self.ear.createPort(f"ear{self.getId()}", fmt)
        self.mouth.createPort(f"mouth{self.getId()}", fmt)
        rx, tx = pj.AudioMediaRecorder(), pj.AudioMediaRecorder()
        rx.createRecorder(str(self.dir / "remote.wav"))
        tx.createRecorder(str(self.dir / "phone.wav"))
        self.recorders = [rx, tx]
        call_audio.startTransmit(self.ear)
        call_audio.startTransmit(rx)
        self.mouth.startTransmit(call_audio)
        self.mouth.startTransmit(tx)
        self.media_started = time.monotonic()

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        self.record.dtmf_received.append({"digit": prm.digit, "at": _iso(time.time()), "t": self._t()})
        if self.brain is not None:
            self.brain.on_dtmf(prm.digit, time.monotonic())

    def onCallTransferRequest(self, prm: pj.OnCallTransferRequestParam) -> None:
        self.endpoint.on_transfer_request(self, prm)

    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:
        if self.record.transfer is not None:
            self.record.transfer.setdefault("notify", []).append(int(prm.statusCode))

    # -- the main loop's work ------------------------------------------------------------------------------
    def tick(self, now: float) -> None:
        due = [t for t in self.timers if t[0] <= now]
        if due:
            self.timers = [t for t in self.timers if t[0] > now]
            for _, fn in due:
                fn()
        if self.disconnected or self.brain is None or self.ear is None or self.mouth is None \
                or not self.record.answered_at:
            return
        while self.ear.frames:
            self.brain.on_frame(self.ear.frames.popleft(), now)
        for _ in range(4):   # a few actions per tick at most; each Say queues audio and returns at once
            action = self.brain.next_action(now, self.mouth.speaking)
            if action is None:
                break
            self.act(action, now)
            if self.disconnected:
                break

    def act(self, action: Action, now: float) -> None:
        assert self.mouth is not None and self.media_started is not None
        at = round(now - self.media_started, 3)
        if isinstance(action, Say):
            pcm = action.pcm if action.pcm is not None else self.endpoint.voice(action.text or "")
            self.mouth.queue(pcm)
            entry: dict[str, Any] = {"t": at, "seconds": round(audio.duration(pcm), 3)}
            entry.update({"text": action.text} if action.text else {"label": action.label or "audio"})
            self.record.said.append(entry)
        elif isinstance(action, Press):
            self._press(action.digits)
        elif isinstance(action, Mark):
            self.record.marks[action.name] = at
        elif isinstance(action, HangUp):
            self.record.hangup_reason = action.reason
            self.hang_up_now()
        elif isinstance(action, Refer):
            self.record.transfer = {"refer_to": action.target, "target": uri_user(action.target),
                                    "at": _iso(time.time())}
            self.xfer(action.target, pj.CallOpParam(True))

    def _press(self, digits: str) -> None:
        for d in digits:
            self.record.dtmf_sent.append({"digit": d, "at": _iso(time.time()), "t": self._t()})
        try:
            self.dialDtmf(digits)          # RFC 2833 telephone-event
        except pj.Error:
            p = pj.CallSendDtmfParam()      # the far end did not offer telephone-event: SIP INFO
            p.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
            p.digits = digits
            self.sendDtmf(p)

    def _t(self) -> float | None:
        """Seconds into this leg's recording."""
        return round(time.monotonic() - self.media_started, 3) if self.media_started is not None else None

    def hang_up_now(self, code: int = 0) -> None:
        if self.disconnected:
            return
        self.hangup_by_phone = True
        prm = pj.CallOpParam(True)
        if code:
            prm.statusCode = code
        try:
            self.hangup(prm)
        except pj.Error as exc:
            log.debug("hangup failed: %s", exc.info())

    def finish(self) -> None:
        """Close the recordings (PJSIP writes WAV sizes on close) and build the stereo file."""
        self.record.ended_at = _iso(time.time())
        self.timers.clear()                # they hold closures over this leg: no cycles to outlive PJSIP
        self.recorders.clear()             # destroying the recorders closes their files
        if self.ear is not None or self.mouth is not None:
            self.endpoint.retired_ports.append((time.monotonic(), self.ear, self.mouth))
        self.ear = self.mouth = None
        gc.collect()
        if self.dir is None:
            return
        remote, phone = self.dir / "remote.wav", self.dir / "phone.wav"
        deadline = time.monotonic() + 3.0
        while not (audio.wav_complete(remote) and audio.wav_complete(phone)) and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            heard, said = audio.read_wav(remote), audio.read_wav(phone)
        except audio.AudioError as exc:
            log.warning("recording unreadable: %s", exc)
            return
        self.record.recording_remote, self.record.recording_phone = str(remote), str(phone)
        self.record.recording = str(audio.write_wav(self.dir / "call.wav", audio.mix_stereo(heard, said),
                                                    channels=2))
        start = self.record.marks.get("message_start")
        if start is not None:
            msg = heard[int(start * audio.RATE) * 2:]
            self.record.message_recording = str(audio.write_wav(self.dir / "message.wav", msg))


_REASONS = {180: "Ringing", 200: "OK", 480: "Temporarily Unavailable", 486: "Busy Here", 487: "Request Terminated",
            603: "Decline"}


class _Account(pj.Account):
    def __init__(self, endpoint: SipEndpoint) -> None:
        super().__init__()
        self.endpoint = endpoint

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        self.endpoint.on_incoming(prm)


@dataclass(frozen=True)
class EndpointConfig:
    host: str = "127.0.0.1"
    port: int = 5080
    tcp: bool = True
    record_dir: Path = Path("recordings")
    json_log: Path | None = None
    rtp_port: int = 0                 # 0: a random port in a high range
    sip_log: Path | None = None       # PJSIP's own log (SIP messages at level 5)
    user: str = "phone"
    route_to_self: bool = False       # send every call this endpoint places to itself (the network routes them)


class SipEndpoint:
    """The process's PJSIP endpoint: transports, one local account, the main loop, legs and their records."""

    def __init__(self, config: EndpointConfig, voice: Voice) -> None:
        self.config = config
        self.voice = voice
        self.legs: list[Leg] = []
        self.ended: list[Leg] = []
        # An ended leg's audio ports, kept a few seconds before they are destroyed: destroying a port while the
        # conference bridge still delivers to it (the call's media is torn down after the DISCONNECTED callback)
        # crashed the process (SIGSEGV in the media thread).
        self.retired_ports: list[tuple[float, Any, Any]] = []
        self.records: list[CallRecord] = []
        self.seq = 0
        self.stopping = False
        self.ep = pj.Endpoint()
        # PJSIP logs its start-up to stdout before any log config applies; stdout is for our ready line.
        saved = os.dup(1)
        os.dup2(2, 1)
        try:
            self.ep.libCreate()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0          # SIP work on our main thread, in libHandleEvents
        cfg.uaConfig.mainThreadOnly = True  # callbacks from PJSIP's other threads are posted to it too
        cfg.uaConfig.userAgent = "clinic-sim-phone"
        cfg.logConfig.consoleLevel = 0
        if config.sip_log:
            cfg.logConfig.level = 5
            cfg.logConfig.filename = str(config.sip_log)
        else:
            cfg.logConfig.level = 0
        cfg.medConfig.clockRate = audio.RATE
        cfg.medConfig.sndClockRate = audio.RATE
        cfg.medConfig.channelCount = 1
        cfg.medConfig.noVad = True          # send every frame: recordings and the far end's VAD see real silence
        cfg.medConfig.ecTailLen = 0
        cfg.medConfig.threadCnt = 1
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()   # no sound card here: the conference bridge runs on a timer
        self.transports: list[str] = []
        for kind, name in ((pj.PJSIP_TRANSPORT_UDP, "udp"), (pj.PJSIP_TRANSPORT_TCP, "tcp")):
            if name == "tcp" and not config.tcp:
                continue
            tc = pj.TransportConfig()
            tc.port = config.port
            tc.boundAddress = config.host
            self.ep.transportCreate(kind, tc)
            self.transports.append(name)
        self.ep.libStart()
        for codec, prio in (("G722/16000", 250), ("PCMU/8000", 240), ("PCMA/8000", 230)):
            with contextlib.suppress(pj.Error):
                self.ep.codecSetPriority(codec, prio)
        acfg = pj.AccountConfig()
        acfg.idUri = f"sip:{config.user}@{config.host}:{config.port}"
        if config.route_to_self:
            # PJSUA places REFER's new call itself and cannot be given another URI; routing through our own
            # address makes tel: targets dialable and brings every such call back into the network.
            acfg.sipConfig.proxies.append(f"sip:{config.host}:{config.port};lr")
        acfg.mediaConfig.transportConfig.boundAddress = config.host
        acfg.mediaConfig.transportConfig.port = config.rtp_port or 0
        if not config.rtp_port:
            acfg.mediaConfig.transportConfig.port = 30000
            acfg.mediaConfig.transportConfig.portRange = 20000
            acfg.mediaConfig.transportConfig.randomizePort = True
        self.account = _Account(self)
        self.account.create(acfg, True)
        self._log = open(config.json_log, "a", encoding="utf-8") if config.json_log else None  # noqa: SIM115

    # -- hooks for subclasses ------------------------------------------------------------------------------
    def on_incoming(self, prm: pj.OnIncomingCallParam) -> None:
        call = pj.Call(self.account, prm.callId)
        op = pj.CallOpParam(True)
        op.statusCode = 603
        call.hangup(op)

    def on_transfer_request(self, leg: Leg, prm: pj.OnCallTransferRequestParam) -> None:
        prm.statusCode = 603

    def on_answered(self, leg: Leg) -> None:
        return None

    # -- plumbing ------------------------------------------------------------------------------------------
    def leg_dir(self, record: CallRecord) -> Path:
        self.seq += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        tail = re.sub(r"\D", "", record.number)[-4:] or "x"
        d = self.config.record_dir / f"{stamp}-{self.seq:04d}-{record.persona}-{tail}"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def run(self, until: Callable[[], bool], step_ms: int = 5) -> None:
        """Pump SIP events, timers and brains until `until()` is true."""
        while not until():
            self.ep.libHandleEvents(step_ms if self.legs else 50)   # idle: wake less often
            now = time.monotonic()
            for leg in list(self.legs):
                leg.tick(now)
            self._reap()

    def _reap(self) -> None:
        if self.retired_ports and self.retired_ports[0][0] < time.monotonic() - 5.0:
            cutoff = time.monotonic() - 5.0
            self.retired_ports = [r for r in self.retired_ports if r[0] >= cutoff]
        while self.ended:
            leg = self.ended.pop(0)
            if leg in self.legs:
                self.legs.remove(leg)
            leg.finish()
            self.records.append(leg.record)
            if self._log:
                self._log.write(leg.record.to_json() + "\n")
                self._log.flush()
            self.on_leg_ended(leg)

    def _hang_up_all(self) -> None:
        for leg in list(self.legs):
            if not leg.disconnected:
                leg.record.ended_by = "shutdown"
                if leg.record.direction == "inbound" and not leg.final_sent and not leg.record.answered_at:
                    leg.respond(480)
                else:
                    leg.hang_up_now()

    def _force_end_all(self) -> None:
        """Legs whose far end never confirmed the hang-up: end them here and record what we have."""
        for leg in list(self.legs):
            leg.disconnected = True
            leg.record.ended_by = leg.record.ended_by or "shutdown"
            self.ended.append(leg)

    def on_leg_ended(self, leg: Leg) -> None:
        return None

    def shutdown(self, grace: float = 2.0) -> None:
        """Hang up every live leg, let the BYEs and final responses go out, write their records, stop PJSIP.
        (Loops live in helpers: a loop variable left holding a Leg past libDestroy aborts the process.)"""
        self.stopping = True
        self._hang_up_all()
        deadline = time.monotonic() + grace
        self.run(lambda: not self.legs or time.monotonic() > deadline, step_ms=20)
        self._force_end_all()
        self._reap()
        self.ep.hangupAllCalls()
        if self._log:
            self._log.close()
        del self.account
        self.retired_ports.clear()
        gc.collect()    # every Call and media port must be gone before PJSIP is (their destructors call it)
        self.ep.libDestroy()
