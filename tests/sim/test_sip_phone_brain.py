"""Line brains, persona scripts and SIP parsing of the SIP phone network, without a network: frames in,
actions out, on a simulated clock."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import Executor, Future

import pytest

from sim.personas import get_spec
from sim.phone_network import PhoneNetwork
from sim.sip_phone import audio
from sim.sip_phone.brain import (
    Action,
    AwaitTurn,
    FarEndBrain,
    HangUp,
    LineBrain,
    Mark,
    Press,
    Say,
    ScriptedBrain,
    TurnDetector,
    VoicemailBrain,
)
from sim.sip_phone.lines import SCRIPTS, Directory, Timing, make_brain, script_steps

SPEECH = audio.tone(300.0, 1.0, 0.3)       # one second of "speech" (loud enough), then quiet
QUIET = audio.silence(1.0)


def drive(brain: LineBrain, pcm: bytes, *, start: float = 0.0, speaking_for: float = 0.0) -> list[tuple[float, Action]]:
    """Feed `pcm` frame by frame from time `start`; return the actions with their times. Each Say keeps the
    phone `speaking` for `speaking_for` seconds (0 = its audio plays instantly)."""
    out: list[tuple[float, Action]] = []
    busy_until = start
    t = start
    for i in range(0, len(pcm), audio.FRAME_BYTES):
        brain.on_frame(pcm[i:i + audio.FRAME_BYTES], t)
        action = brain.next_action(t, t < busy_until)
        if action is not None:
            out.append((round(t, 2), action))
            if isinstance(action, Say):
                busy_until = t + speaking_for
        t += audio.FRAME_MS / 1000
    return out


def kinds(actions: Iterable[tuple[float, Action]]) -> list[str]:
    return [type(a).__name__ for _, a in actions]


def test_turn_detector_ends_an_utterance_after_enough_quiet() -> None:
    d = TurnDetector(end_silence=0.7)
    ended = [i for i in range(0, len(SPEECH + QUIET), audio.FRAME_BYTES)
             if d.feed((SPEECH + QUIET)[i:i + audio.FRAME_BYTES], i / audio.FRAME_BYTES * 0.02)]
    assert len(ended) == 1 and d.ended == 1
    assert 1.65 <= ended[0] / audio.FRAME_BYTES * 0.02 <= 1.75        # one second of speech + 0.7 s quiet
    assert audio.duration(d.utterances[0]) == pytest.approx(1.7, abs=0.05)


def test_turn_detector_ignores_clicks_and_short_pauses() -> None:
    d = TurnDetector(min_speech=0.2, end_silence=0.7)
    click = audio.tone(300.0, 0.06, 0.3)
    pcm = click + QUIET + SPEECH + audio.silence(0.4) + SPEECH + QUIET
    for i in range(0, len(pcm), audio.FRAME_BYTES):
        d.feed(pcm[i:i + audio.FRAME_BYTES], i / audio.FRAME_BYTES * 0.02)
    assert d.ended == 1          # the click is not speech; a 0.4 s pause does not end the sentence


def test_scripted_brain_answers_turn_by_turn() -> None:
    brain = ScriptedBrain([Say(text="Hello?"), AwaitTurn(5), Say(text="Yes, it's me."), AwaitTurn(5), Press("1"),
                           HangUp("done")])
    brain.on_answer(0.0)
    actions = drive(brain, QUIET + SPEECH + QUIET + SPEECH + QUIET)
    assert kinds(actions) == ["Say", "Say", "Press", "HangUp"]
    times = [t for t, _ in actions]
    assert times[0] == 0.0
    assert 2.6 < times[1] < 2.8          # after the first sentence (1..2 s) and 0.7 s of quiet
    assert 4.6 < times[2] < 4.8          # the key only after the second sentence (3..4 s)
    assert actions[2][1] == Press("1")


def test_scripted_brain_waits_for_its_own_speech_and_has_patience() -> None:
    brain = ScriptedBrain([Say(text="Hello?"), AwaitTurn(2.0), Say(text="Hello? Anyone there?")])
    brain.on_answer(0.0)
    actions = drive(brain, audio.silence(6.0), speaking_for=1.5)
    assert kinds(actions) == ["Say", "Say"]
    assert 3.4 < actions[1][0] < 3.6     # 1.5 s of its own speech, then 2 s of patience


def test_scripted_brain_hangs_up_a_call_that_goes_on_too_long() -> None:
    brain = ScriptedBrain([Say(text="Hello?")], max_seconds=3.0)
    brain.on_answer(0.0)
    actions = drive(brain, audio.silence(5.0))
    assert kinds(actions) == ["Say", "HangUp"] and 3.0 <= actions[1][0] < 3.1


def test_voicemail_greets_beeps_then_hangs_up_after_the_message() -> None:
    brain = VoicemailBrain("Leave a message after the tone.", silence_after_message=2.0)
    brain.on_answer(0.0)
    actions = drive(brain, QUIET + SPEECH + SPEECH + audio.silence(4.0))
    assert kinds(actions) == ["Say", "Say", "Mark", "HangUp"]
    greeting, beep, mark, hang = (a for _, a in actions)
    assert greeting == Say(text="Leave a message after the tone.")
    assert isinstance(beep, Say) and beep.label == "beep" and beep.pcm is not None
    assert audio.duration(beep.pcm) == pytest.approx(0.5)
    assert mark == Mark("message_start") and hang == HangUp("silence")
    assert 4.9 < actions[3][0] < 5.1     # 2 s after the message (1..3 s) ended


def test_voicemail_stops_recording_at_its_limit() -> None:
    brain = VoicemailBrain("Leave a message.", max_message=2.0)
    brain.on_answer(0.0)
    actions = drive(brain, SPEECH * 4)
    assert actions[-1][1] == HangUp("max_message")


def test_far_end_brain_plays_a_text_persona_through_a_transcriber() -> None:
    network = PhoneNetwork({"+12125550100": "keypad_confirmer"}, seed=3)
    heard = iter(["Hi, this is Sunrise Family Medicine. Am I speaking with Maria?",
                  "I'm calling about your appointment on Tuesday at 9 AM. Press 1 to confirm."])
    brain = FarEndBrain(network.far_end_for("+12125550100"), lambda pcm: next(heard), workers=InlineExecutor())
    brain.on_answer(0.0)
    actions = drive(brain, QUIET + SPEECH + QUIET + SPEECH + QUIET)
    assert kinds(actions) == ["Say", "Say", "Press"]
    assert actions[2][1] == Press("1") and len(brain.heard) == 2


@pytest.mark.parametrize("persona", sorted(SCRIPTS))
def test_every_person_persona_has_a_speakable_script(persona: str) -> None:
    steps = script_steps(persona, random.Random(1), "Maria", 5.0)
    says = [s.text for s in steps if isinstance(s, Say)]
    assert says and all(says)
    assert not any("{first}" in s for s in says if s)


def test_keypad_scripts_press_their_key_after_saying_who_they_are() -> None:
    for persona, digit in (("keypad_confirmer", "1"), ("keypad_opt_out", "9")):
        steps = script_steps(persona, random.Random(0), "Maria", 5.0)
        presses = [i for i, s in enumerate(steps) if isinstance(s, Press)]
        says = [i for i, s in enumerate(steps) if isinstance(s, Say)]
        assert [steps[i] for i in presses] == [Press(digit)]
        assert len([i for i in says if i < presses[0]]) == 2      # hello, then "yes, it's me"


def test_directory_routes_numbers_to_lines_and_counts_calls() -> None:
    network = PhoneNetwork({"+12125550100": "busy_then_confirm", "+12125550101": "rejecter"})
    directory = Directory(network, front_desk=["(212) 555-9999"])
    assert [directory.plan("+12125550100").kind for _ in range(2)] == ["busy", "person"]
    assert directory.plan("tel:+12125550101").kind == "reject"
    desk = directory.plan("2125559999")
    assert (desk.kind, desk.persona, desk.number) == ("front_desk", "front_desk", "+12125559999")
    assert isinstance(make_brain(directory.plan("+12125550100"), timing=Timing()), ScriptedBrain)


def test_sip_request_parsing() -> None:
    from sim.sip_phone.ua import parse_request, uri_user

    uri, headers = parse_request("INVITE sip:+12125550100@127.0.0.1:5080;transport=udp SIP/2.0\r\n"
                                 "f: \"Clinic\" <sip:+15550001111@10.0.0.1>;tag=1\r\ni: abc@host\r\n"
                                 "To: <sip:+12125550100@127.0.0.1>\r\n\r\nv=0\r\n")
    assert uri_user(uri) == "+12125550100"
    assert (uri_user(headers["from"]), headers["call-id"]) == ("+15550001111", "abc@host")
    assert uri_user("tel:+12125559999;phone-context=x") == "+12125559999"
    assert uri_user("<sip:+12125559999@lk.example;user=phone>") == "+12125559999"


def test_caller_steps_are_parsed_or_named_in_the_error() -> None:
    from sim.sip_phone.caller import parse_step

    assert parse_step("dtmf:19") == Press("19")
    assert parse_step("wait:2.5") == AwaitTurn(2.5)
    with pytest.raises(ValueError, match=r"--step 'dtmf:x'"):
        parse_step("dtmf:x")


def test_cli_rejects_an_unknown_persona_naming_the_option() -> None:
    proc = subprocess.run([sys.executable, "-m", "sim.sip_phone", "--persona-for", "+12125550100=grumpy"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--persona-for '+12125550100=grumpy': unknown persona 'grumpy'" in proc.stderr


class InlineExecutor(Executor):
    """Runs each job at once, so brain tests are deterministic (the phone network uses threads)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        f: Future[object] = Future()
        f.set_result(fn(*args, **kwargs))
        return f


def talking(persona: str, transcripts: list[str], **kw: object) -> tuple[FarEndBrain, list[bytes]]:
    network = PhoneNetwork({"+12125550100": persona}, seed=3)
    heard = iter(transcripts)
    sent: list[bytes] = []

    def transcribe(pcm: bytes) -> str:
        sent.append(pcm)
        return next(heard, "")

    kw.setdefault("delivery", get_spec(persona).delivery)
    brain = FarEndBrain(network.far_end_for("+12125550100"), transcribe, workers=InlineExecutor(),
                        voice=lambda text: audio.tone(200.0, 0.5, 0.5), **kw)  # type: ignore[arg-type]
    return brain, sent


def test_a_long_utterance_is_understood_piece_by_piece_and_answered_once() -> None:
    brain, sent = talking("confirmer", ["Good morning, this is the clinic.", "Am I speaking with Maria?"],
                          piece_pause=0.3)
    brain.on_answer(0.0)
    pause = audio.silence(0.4)               # a pause between sentences: not the end of the turn
    actions = drive(brain, QUIET + SPEECH + pause + SPEECH + QUIET)
    assert len(sent) == 2                    # the first sentence went to the transcriber before the second
    says = [a for _, a in actions if isinstance(a, Say)]
    assert len(says) == 2 and says[1].pcm is not None     # hello, then one answer to the whole turn
    assert brain.heard == ["Good morning, this is the clinic. Am I speaking with Maria?"]


def test_a_silent_persona_says_nothing_on_pick_up() -> None:
    brain, _ = talking("silent_confirmer", ["Hi, am I speaking with Maria?"])
    brain.on_answer(0.0)
    actions = drive(brain, QUIET + SPEECH + QUIET)
    assert kinds(actions) == ["Say"] and actions[0][0] > 1.0    # only after the caller spoke


def test_the_interrupter_speaks_while_the_agent_is_still_talking() -> None:
    brain, _ = talking("interrupter", ["Hello, am I speaking with Maria?",
                                       "Your appointment is on Tuesday at 9 with Doctor Patel",
                                       "can you make it?"], barge_after=1.5)
    brain.on_answer(0.0)
    long_speech = audio.tone(300.0, 3.0, 0.3)
    actions = drive(brain, QUIET + SPEECH + QUIET + long_speech + QUIET)
    says = [(t, a) for t, a in actions if isinstance(a, Say)]
    speech_starts, speech_ends = 3.0, 6.0      # the long utterance's place in the feed
    assert any(speech_starts < t < speech_ends for t, _ in says), says


def test_a_mumbler_is_quiet() -> None:
    loud, _ = talking("confirmer", [])
    quiet, _ = talking("mumbler", [])
    loud.on_answer(0.0)
    quiet.on_answer(0.0)
    a = next(a for _, a in drive(loud, QUIET) if isinstance(a, Say))
    b = next(a for _, a in drive(quiet, QUIET) if isinstance(a, Say))
    assert a.pcm and b.pcm and audio.rms_dbfs(b.pcm) < audio.rms_dbfs(a.pcm) - 10


def test_words_that_ask_nothing_get_a_moment_for_the_caller_to_go_on() -> None:
    """"Sorry about that." and then, a few seconds late (speech made sentence by sentence on a busy machine),
    "Is this a number for Maria?": the persona answers the question, not the half that asked nothing."""
    brain, _ = talking("confirmer", ["Sorry about that.", "Is this a number for Maria?"])
    brain.on_answer(0.0)
    actions = drive(brain, QUIET + SPEECH + audio.silence(2.5) + SPEECH + QUIET)
    answers = [a for _, a in actions if isinstance(a, Say)][1:]      # after the pick-up "hello"
    assert len(answers) == 1
    assert brain.heard == ["Sorry about that.", "Is this a number for Maria?"]
