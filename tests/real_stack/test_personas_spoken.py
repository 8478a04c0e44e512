"""Talking personas over the real stack: every person persona hears the agent through Whisper and answers
with Piper over SIP (sim/sip_phone/brain.FarEndBrain), and the call must end as the persona requires.

One persona per delivery (patient, barge-in, silent, mumbling) and per outcome a patient can reach (confirm,
reschedule, cancel), a family member and an answering machine (stopping the calls is said over SIP by keypad
in test_real_calls.py and in words in text mode). The calls run a few at a time
(`CONCURRENT`, as a clinic's trunk carries them), so the suite takes minutes, not a quarter of an hour.

Then the checks a listener would make, on the phone side's recording (what the agent actually said, as
transcribed): nothing about the appointment before the patient said who they were (and nothing at all to a
family member or a voicemail box), no sentence twice word for word, no markup, emoji or raw digit strings.
The persona never keys on the agent's sentences: it reacts to its own transcript. How fast the agent speaks
is measured in bench/voice_latency.py, not here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sim import heard
from sim.personas import PHRASES
from sim.real_call import CallReport, RealCallStack, persona_number
from tests.real_stack.conftest import FRONT_DESK

pytestmark = [pytest.mark.real_stack, pytest.mark.timeout(1500)]

# persona -> the outcome its call must end with. Longest conversations first, so none is left running alone.
SPOKEN: dict[str, str] = {
    "interrupter": "rescheduled",        # barge-in: cuts in while the agent reads the appointment
    "rescheduler": "rescheduled",
    "canceller": "cancelled",
    "mumbler": "confirmed",              # quiet, over line noise
    "silent_confirmer": "confirmed",     # picks up without a word
    "confirmer": "confirmed",
    "not_patient": "not_patient",        # a family member
    "voicemail": "voicemail_left",
}
# Two calls at a time: on this shared 2-core machine every call's speech (the agent's and the persona's
# Whisper and Piper) queues on one speech server; three at once made every turn wait for the others'.
CONCURRENT = 2
IS_ME = {p.replace("{first}", "me") for key in ("is_me", "is_me_again") for p in PHRASES[key]}


@dataclass(frozen=True)
class Heard:
    """One call as the phone heard it."""

    agent: list[heard.Utterance]       # what the agent said, transcribed, with times into the recording
    patient: list[heard.Span]          # when the persona spoke
    identified_at: float | None        # end of the persona's "yes, this is me", seconds into the recording
    record: dict[str, Any]

    def before_identity(self) -> list[heard.Utterance]:
        end = self.identified_at if self.identified_at is not None else float("inf")
        return [u for u in self.agent if u.start < end]


@dataclass(frozen=True)
class SpokenCall:
    report: CallReport
    heard: Heard

    def story(self) -> str:
        lines = [f"{u.start:6.1f}s agent: {u.text}" for u in self.heard.agent]
        lines += [f"{s['t']:6.1f}s phone: {s.get('text') or s.get('label')}" for s in self.heard.record.get("said", [])]
        return "\n".join(sorted(lines, key=lambda line: float(line.split("s", 1)[0])))

    def explain(self) -> str:
        return f"{self.report.as_json()}\n{self.story()}"


@pytest.fixture(scope="module")
def stack(real_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCallStack]:
    """conftest's stack, with the spoken personas' numbers, room for `CONCURRENT` calls at once and time for
    a spoken conversation on a busy machine (persons stay up to 4 minutes on the line)."""
    workdir = Path(tmp_path_factory.mktemp("spoken"))
    with RealCallStack(database_url=real_db, workdir=workdir, personas={persona_number(p): p for p in SPOKEN},
                       front_desk=(FRONT_DESK,), phone_port=None, agent_max_jobs=CONCURRENT + 2,
                       phone_options=("--answer-after", "0.5", "--max-call", "240")) as s:
        yield s


def hear(stack: RealCallStack, report: CallReport) -> Heard:
    record = report.phone_record
    assert record and record.get("recording_remote"), f"no recording for attempt {report.attempt_id}"
    agent = heard.read_mono(record["recording_remote"])
    spans = heard.sentences(heard.speech_spans(agent))
    patient = heard.sentences(heard.speech_spans(heard.read_mono(record["recording_phone"])))
    said = [s for s in record.get("said", []) if s.get("text") in IS_ME]
    identified = said[0]["t"] + said[0]["seconds"] if said else None
    return Heard(heard.utterances(stack.speech_url, agent, spans), patient, identified, record)


@pytest.fixture(scope="module")
def spoken(stack: RealCallStack, clinic: dict[str, Any]) -> dict[str, SpokenCall | BaseException]:
    """Every persona's call, `CONCURRENT` at a time, each recording transcribed as soon as its call ended. A
    call that failed is kept as its error, for its own test to raise."""
    started = time.monotonic()

    def one(persona: str) -> SpokenCall:
        report = stack.place_call(clinic, persona, timeout=360)
        return SpokenCall(report, hear(stack, report))

    with ThreadPoolExecutor(CONCURRENT, thread_name_prefix="spoken-call") as pool:
        futures = {p: pool.submit(one, p) for p in SPOKEN}
    out: dict[str, SpokenCall | BaseException] = {}
    for persona, future in futures.items():
        try:
            out[persona] = future.result()
        except Exception as exc:   # reported by the persona's own test
            out[persona] = exc
    print(f"\n{len(SPOKEN)} spoken calls, {CONCURRENT} at a time: {time.monotonic() - started:.0f}s")
    return out


def call_of(spoken: dict[str, SpokenCall | BaseException], persona: str) -> SpokenCall:
    got = spoken[persona]
    if isinstance(got, BaseException):
        raise got
    assert got.report.outcome is not None, f"{persona}: no outcome; attempt {got.report.attempt_id} is " \
                                           f"{got.report.status}"
    return got


def assert_spoken_well(c: SpokenCall, *, patient_identified: bool) -> None:
    h = c.heard
    assert h.agent, f"the phone heard nothing from the agent\n{c.explain()}"
    leaked = [(u.start, heard.appointment_details(u.text)) for u in
              (h.before_identity() if patient_identified else h.agent)]
    leaked = [x for x in leaked if x[1]]
    assert not leaked, f"appointment details heard before identity was confirmed: {leaked}\n{c.explain()}"
    repeats = heard.repeated_sentences(u.text for u in h.agent)
    assert not repeats, f"said word for word more than once: {repeats}\n{c.explain()}"
    spoken = [t["text"] for t in c.report.transcript if t["role"] == "agent"]
    bad = [x for text in spoken for x in heard.unspeakable(text)] + \
          [x for u in h.agent for x in heard.unspeakable_heard(u.text)]
    assert not bad, f"unspeakable text reached the line: {bad}\n{c.explain()}"


@pytest.mark.parametrize("persona", ["confirmer", "rescheduler", "canceller"])
def test_spoken_patient_reaches_its_outcome_and_hears_nothing_early(spoken: dict[str, Any], persona: str) -> None:
    c = call_of(spoken, persona)
    assert c.report.outcome == SPOKEN[persona], c.explain()
    assert c.heard.identified_at is not None, f"{persona} never said who they were\n{c.explain()}"
    assert_spoken_well(c, patient_identified=True)
    if c.report.outcome in ("confirmed", "rescheduled", "cancelled"):
        # the patient heard their appointment (after saying who they were)
        assert any(heard.appointment_details(u.text) for u in c.heard.agent), c.explain()


def test_family_member_hears_no_appointment_detail(spoken: dict[str, Any]) -> None:
    c = call_of(spoken, "not_patient")
    assert c.report.outcome == "not_patient", c.explain()
    assert_spoken_well(c, patient_identified=False)


def test_voicemail_box_records_no_appointment_detail(spoken: dict[str, Any]) -> None:
    c = call_of(spoken, "voicemail")
    assert c.report.outcome == "voicemail_left", c.explain()
    assert_spoken_well(c, patient_identified=False)
    message = " ".join(u.text for u in c.heard.agent).lower()
    assert "sunrise" in message, f"the message does not say who called\n{c.explain()}"


def test_patient_who_barges_in_is_heard(spoken: dict[str, Any]) -> None:
    """The interrupter cuts in while the agent talks; the agent must stop, listen and still reschedule."""
    c = call_of(spoken, "interrupter")
    assert c.report.outcome == "rescheduled", c.explain()
    overlaps = [p for p in c.heard.patient if any(a.start < p.start < a.end for a in c.heard.agent)]
    assert overlaps, f"the interrupter never spoke over the agent\n{c.explain()}"
    assert_spoken_well(c, patient_identified=True)


def test_silent_pick_up_is_greeted_once_and_confirms(spoken: dict[str, Any]) -> None:
    c = call_of(spoken, "silent_confirmer")
    assert c.report.outcome == "confirmed", c.explain()
    assert c.heard.patient and c.heard.agent[0].start < c.heard.patient[0].start, \
        f"the silent persona spoke first\n{c.explain()}"
    assert_spoken_well(c, patient_identified=True)


def test_mumbling_patient_still_confirms(spoken: dict[str, Any]) -> None:
    c = call_of(spoken, "mumbler")
    assert c.report.outcome == "confirmed", c.explain()
    assert c.heard.identified_at is not None, c.explain()
    assert_spoken_well(c, patient_identified=True)
