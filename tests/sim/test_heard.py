"""The listener's checks on real calls (sim/heard.py), on synthetic tracks and transcripts."""

from __future__ import annotations

import numpy as np

from sim import heard


def track(*parts: tuple[float, bool]) -> np.ndarray:
    """(seconds, loud) pieces as one 16 kHz track: loud = a 300 Hz tone at about -13 dBFS."""
    out = []
    for seconds, loud in parts:
        t = np.arange(int(seconds * heard.RATE)) / heard.RATE
        out.append(np.sin(2 * np.pi * 300 * t) * 8000 if loud else np.zeros(t.size))
    return np.concatenate(out)


def test_speech_spans_join_short_pauses_and_drop_clicks() -> None:
    x = track((0.5, False), (1.0, True), (0.2, False), (0.5, True), (1.0, False), (0.04, True), (1.0, False))
    spans = heard.speech_spans(x)
    assert len(spans) == 1                          # the 0.2 s pause joins; the 40 ms click is dropped
    assert abs(spans[0].start - 0.5) < 0.03 and abs(spans[0].end - 2.2) < 0.03


def test_response_gaps_measure_from_the_patient_stopping_to_the_agent_starting() -> None:
    S = heard.Span
    patient = [S(1.0, 2.0), S(6.0, 7.0), S(12.0, 13.0)]
    agent = [S(3.0, 5.0), S(6.5, 9.0), S(30.0, 31.0)]
    # turn 1: 1.0 s gap; turn 2: the agent was talking over the end of it; turn 3: no answer within 8 s
    assert heard.response_gaps(patient, agent) == [1.0]


def test_appointment_details_are_what_a_listener_would_catch() -> None:
    assert heard.appointment_details("You're set for Thursday at 930 with Dr. Patel at the Main Street office") == \
        ["930", "main street", "patel", "thursday"]
    assert heard.appointment_details("Good morning, am I speaking with Jordan?") == []


def test_repeats_are_whole_sentences_word_for_word() -> None:
    assert heard.repeated_sentences(["Am I speaking with Jordan?", "Sorry. Am I speaking with Jordan?"]) == \
        ["am i speaking with jordan"]
    assert heard.repeated_sentences(["Booked with Dr. Patel at the Main Street office.",
                                     "Moved, with Dr. Patel at the Main Street office."]) == []


def test_unspeakable_text_is_markup_emoji_or_a_raw_number() -> None:
    assert heard.unspeakable("**Thursday** at 9:30 🙂 call 2125550101") == ["*", "*", "*", "*", "🙂", "2125550101"]
    assert heard.unspeakable("Call us back at 2 1 2, 5 5 5, 0 1 0 1, press 1 to confirm.") == []


def test_on_the_recording_a_number_read_as_one_number_is_unspeakable_digits_read_one_by_one_are_not() -> None:
    # "2 1 2, 5 5 5, 0 1 0 1" spoken digit by digit, as Whisper writes it back
    assert heard.unspeakable_heard("Please call us back at 212-5550101. Again, that's 212-550101.") == []
    assert heard.unspeakable_heard("call 2,125,550,101") == ["2,125,550,101"]
    assert heard.unspeakable_heard("two billion one hundred twenty five million") == ["billion", "million"]
    assert heard.unspeakable_heard("asterisk asterisk Thursday") == ["asterisk", "asterisk"]
