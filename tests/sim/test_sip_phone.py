"""The SIP phone network, called over real SIP by a second PJSIP user agent (the test caller).

One phone network process serves the module (its start-up is the slow part); each test places its own call
to a number with the persona under test and checks what a caller (LiveKit SIP, in production) would see:
final SIP codes, RFC 2833 digits, the voicemail beep, REFER landing at the front desk, and the recordings."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pjsua2")

from sim.sip_phone import audio
from sim.sip_phone.process import PhoneHandle, run_caller, running_phone

BUSY, REJECT, NO_ANSWER = "+12125550101", "+12125550102", "+12125550103"
KEYPAD_YES, KEYPAD_STOP = "+12125550104", "+12125550105"
VOICEMAIL, HUMAN, FRONT_DESK = "+12125550106", "+12125550107", "+12125559999"
PERSONAS = {BUSY: "busy", REJECT: "rejecter", NO_ANSWER: "no_answer", KEYPAD_YES: "keypad_confirmer",
            KEYPAD_STOP: "keypad_opt_out", VOICEMAIL: "voicemail", HUMAN: "human"}
FAST = ["--answer-after", "0.2", "--machine-after", "0.2", "--ring-timeout", "1.5", "--patience", "3",
        "--front-desk-seconds", "5"]


@pytest.fixture(scope="module")
def phone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoneHandle]:
    base = tmp_path_factory.mktemp("sip_phone")
    with running_phone(base / "phone", personas=PERSONAS, front_desk=[FRONT_DESK], extra=FAST) as handle:
        yield handle


def _leg(phone: PhoneHandle, call_id: str, direction: str = "inbound") -> dict[str, Any]:
    return phone.wait_for_record(lambda r: r["call_id"] == call_id and r["direction"] == direction, timeout=15)


def _channel(path: str, channel: int) -> np.ndarray:
    with wave.open(path, "rb") as w:
        assert (w.getnchannels(), w.getframerate()) == (2, audio.RATE)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)[:, channel]


def _loudness(samples: np.ndarray, start: float, end: float) -> float:
    return audio.rms_dbfs(samples[int(start * audio.RATE):int(end * audio.RATE)].tobytes())


def _tone_share(samples: np.ndarray, freq: float) -> float:
    """How much of a stretch's energy sits within 50 Hz of `freq`."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / audio.RATE)
    return float(spectrum[np.abs(freqs - freq) < 50].sum() / max(spectrum.sum(), 1e-9))


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_busy_number_answers_486(phone: PhoneHandle, tmp_path: Path, transport: str) -> None:
    call = run_caller(phone.uri(BUSY, transport), record_dir=tmp_path, transport=transport, max_seconds=10)
    assert (call["sip_status"], call["answered_at"]) == (486, None)
    leg = _leg(phone, call["call_id"])
    assert (leg["persona"], leg["line"], leg["sip_status"], leg["sip_reason"]) == ("busy", "busy", 486, "Busy Here")


def test_rejecter_rings_then_declines_603(phone: PhoneHandle, tmp_path: Path) -> None:
    call = run_caller(phone.uri(REJECT), record_dir=tmp_path, max_seconds=10)
    assert (call["provisional"], call["sip_status"], call["answered_at"]) == ([180], 603, None)
    assert _leg(phone, call["call_id"])["sip_status"] == 603


def test_no_answer_rings_out_with_480_and_never_answers(phone: PhoneHandle, tmp_path: Path) -> None:
    call = run_caller(phone.uri(NO_ANSWER), record_dir=tmp_path, max_seconds=10)
    assert (call["provisional"], call["sip_status"], call["answered_at"]) == ([180], 480, None)
    leg = _leg(phone, call["call_id"])
    assert (leg["sip_status"], leg["answered_at"], leg["recording"]) == (480, None, None)


def test_ringing_until_the_caller_cancels_is_recorded_as_487(tmp_path: Path) -> None:
    with running_phone(tmp_path / "phone", personas={NO_ANSWER: "no_answer"},
                       extra=["--ring-timeout", "0"]) as phone:
        call = run_caller(phone.uri(NO_ANSWER), record_dir=tmp_path, max_seconds=2)
        assert (call["provisional"], call["sip_status"], call["answered_at"]) == ([180], 487, None)
        assert _leg(phone, call["call_id"])["sip_status"] == 487


@pytest.mark.parametrize(("number", "digit"), [(KEYPAD_YES, "1"), (KEYPAD_STOP, "9")])
def test_keypad_persona_says_who_it_is_then_presses_its_key(phone: PhoneHandle, tmp_path: Path, number: str,
                                                             digit: str) -> None:
    call = run_caller(phone.uri(number), ["wait:4", "say:Am I speaking with Maria?", "wait:4",
                                          "say:Press 1 to confirm.", "wait:3", "hangup"],
                      record_dir=tmp_path, max_seconds=30)
    assert call["sip_status"] == 200 and call["answered_at"]
    assert [d["digit"] for d in call["dtmf_received"]] == [digit]          # RFC 2833, once
    leg = _leg(phone, call["call_id"])
    assert [d["digit"] for d in leg["dtmf_sent"]] == [digit]
    # Turn taking: hello on pick-up, identity after the first question, the key only after the second line.
    assert len(leg["said"]) >= 2 and leg["said"][0]["t"] < 1.0
    second = call["said"][1]
    assert call["dtmf_received"][0]["t"] > second["t"] + second["seconds"]
    # Both sides are in the phone's stereo recording: the caller (left) and the persona (right).
    left, right = _channel(leg["recording"], 0), _channel(leg["recording"], 1)
    hello = leg["said"][0]
    assert _loudness(right, hello["t"], hello["t"] + hello["seconds"]) > -35
    assert _loudness(left, hello["t"], hello["t"] + hello["seconds"]) < -60       # the caller was quiet then
    assert _loudness(left, 0, left.size / audio.RATE) > -45                       # and spoke later


def test_voicemail_greets_beeps_and_records_the_message(phone: PhoneHandle, tmp_path: Path) -> None:
    message = "Hi, this is Sunrise Family Medicine. Please call us back."
    call = run_caller(phone.uri(VOICEMAIL), ["wait:12", f"say:{message}", "pause:0.5", "hangup"],
                      record_dir=tmp_path, max_seconds=40)
    assert call["sip_status"] == 200
    leg = _leg(phone, call["call_id"])
    greeting, beep = leg["said"]
    assert "message" in greeting["text"].lower() and beep["label"] == "beep"
    assert leg["marks"]["message_start"] >= beep["t"] + beep["seconds"] - 0.05
    # The caller heard the beep: a 1 kHz tone after the greeting and before it spoke, on its own recording.
    heard = _channel(call["recording"], 0)
    step = audio.RATE // 5
    tones = [i / audio.RATE for i in range(0, heard.size - step, step) if _tone_share(heard[i:i + step], 1000) > 0.8]
    assert tones and greeting["seconds"] < tones[0] < call["said"][0]["t"]
    # The box recorded the caller's message, and only that: no greeting, no beep, about as long as said.
    msg = audio.read_wav(leg["message_recording"])
    said = call["said"][0]["seconds"]
    assert said - 0.5 < audio.duration(msg) < said + 3.0
    assert audio.rms_dbfs(msg) > -35
    assert _tone_share(np.frombuffer(msg, dtype="<i2")[: audio.RATE // 2], 1000) < 0.2


def test_refer_transfer_lands_at_the_front_desk(phone: PhoneHandle, tmp_path: Path) -> None:
    call = run_caller(phone.uri(HUMAN), ["wait:4", "say:Let me transfer you.", f"refer:tel:{FRONT_DESK}", "pause:3",
                                         "hangup"], record_dir=tmp_path, max_seconds=30)
    assert call["transfer"]["notify"][-1] == 200          # the transfer target answered (NOTIFY sipfrag 200)
    patient = _leg(phone, call["call_id"])
    assert patient["persona"] == "human"
    assert (patient["transfer"]["refer_to"], patient["transfer"]["target"]) == (f"tel:{FRONT_DESK}", FRONT_DESK)
    desk = phone.wait_for_record(lambda r: r["persona"] == "front_desk"
                                 and (r["transferred_from"] or {}).get("call_id") == call["call_id"], timeout=20)
    assert (desk["number"], desk["transferred_from"]["number"], desk["sip_status"]) == (FRONT_DESK, HUMAN, 200)
    assert desk["answered_at"] and desk["call_id"] == patient["transfer"]["new_call_id"]
    assert desk["said"][0]["text"].startswith("Front desk")
    # The front desk heard the transferred patient speak (left channel: the remote party).
    assert _loudness(_channel(desk["recording"], 0), 0, 60) > -45


def test_busy_then_confirm_counts_calls_across_restarts_in_redis(tmp_path: Path, redis_url: str,
                                                                 redis_prefix: str) -> None:
    number = "+12125550110"
    opts = ["--answer-after", "0.2", "--counter-redis", redis_url, "--counter-prefix", redis_prefix]
    with running_phone(tmp_path / "one", personas={number: "busy_then_confirm"}, extra=opts) as phone:
        assert run_caller(phone.uri(number), record_dir=tmp_path, max_seconds=10)["sip_status"] == 486
    with running_phone(tmp_path / "two", personas={number: "busy_then_confirm"}, extra=opts) as phone:
        call = run_caller(phone.uri(number), ["pause:0.5", "hangup"], record_dir=tmp_path, max_seconds=10)
        assert call["sip_status"] == 200 and call["answered_at"]
        assert _leg(phone, call["call_id"])["call_number"] == 2
