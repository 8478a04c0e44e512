"""Talking personas over the real stack: every person persona hears the agent through Whisper and answers
with Piper over SIP (sim/sip_phone/brain.FarEndBrain), and the call must end as the persona requires.

Then the checks a listener would make, on the phone side's recording (what the agent actually said, as
transcribed): nothing about the appointment before the patient said who they were (and nothing at all to a
family member), the agent speaks within 2 s of the answer, no sentence twice word for word, no markup, emoji
or raw digit strings. The persona never keys on the agent's sentences: it reacts to its own transcript."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sim import heard
from sim.personas import PHRASES
from sim.real_call import CallReport, RealCallStack, persona_number
from tests.real_stack.conftest import FRONT_DESK, PERSONAS

pytestmark = [pytest.mark.real_stack, pytest.mark.timeout(1800)]

FIRST_AUDIO_LIMIT = 2.0      # seconds from the answer to the agent's first audio
IS_ME = {p.replace("{first}", "me") for p in PHRASES["is_me"]}


@pytest.fixture(scope="module")
def stack(real_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCallStack]:
    """conftest's stack, with time for a spoken conversation (persons stay up to 3 minutes on the line)."""
    workdir = Path(tmp_path_factory.mktemp("spoken"))
    with RealCallStack(database_url=real_db, workdir=workdir, personas={persona_number(p): p for p in PERSONAS},
                       front_desk=(FRONT_DESK,), phone_port=None,
                       phone_options=("--answer-after", "0.5", "--max-call", "180")) as s:
        yield s


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


def hear(stack: RealCallStack, report: CallReport) -> Heard:
    record = report.phone_record
    assert record and record.get("recording_remote"), f"no recording for attempt {report.attempt_id}"
    agent = heard.read_mono(record["recording_remote"])
    spans = heard.sentences(heard.speech_spans(agent))
    patient = heard.sentences(heard.speech_spans(heard.read_mono(record["recording_phone"])))
    said = [s for s in record.get("said", []) if s.get("text") in IS_ME]
    identified = said[0]["t"] + said[0]["seconds"] if said else None
    return Heard(heard.utterances(stack.speech_url, agent, spans), patient, identified, record)


HEARD: list[tuple[str, Heard]] = []     # every call of this module, for the checks across calls


def call(stack: RealCallStack, clinic: dict[str, Any], persona: str) -> tuple[CallReport, Heard]:
    report = stack.place_call(clinic, persona, timeout=300)
    assert report.outcome is not None, f"{persona}: no outcome; attempt {report.attempt_id} is {report.status}"
    h = hear(stack, report)
    HEARD.append((persona, h))
    return report, h


def _story(h: Heard) -> str:
    lines = [f"{u.start:6.1f}s agent: {u.text}" for u in h.agent]
    lines += [f"{s['t']:6.1f}s phone: {s.get('text') or s.get('label')}" for s in h.record.get("said", [])]
    return "\n".join(sorted(lines, key=lambda line: float(line.split("s", 1)[0])))


def assert_spoken_well(report: CallReport, h: Heard, *, patient_identified: bool) -> None:
    story = _story(h)
    assert h.agent, f"the phone heard nothing from the agent\n{story}"
    leaked = [(u.start, heard.appointment_details(u.text)) for u in
              (h.before_identity() if patient_identified else h.agent)]
    leaked = [x for x in leaked if x[1]]
    assert not leaked, f"appointment details heard before identity was confirmed: {leaked}\n{story}"
    repeats = heard.repeated_sentences(u.text for u in h.agent)
    assert not repeats, f"said word for word more than once: {repeats}\n{story}"
    spoken = [t["text"] for t in report.transcript if t["role"] == "agent"]
    bad = [x for text in spoken for x in heard.unspeakable(text)] + \
          [x for u in h.agent for x in heard.unspeakable(u.text)]
    assert not bad, f"unspeakable text reached the line: {bad}\n{story}"


@pytest.mark.parametrize(("persona", "outcome"), [
    ("confirmer", "confirmed"),
    ("rescheduler", "rescheduled"),
    ("opt_out", "opted_out"),
])
def test_spoken_patient_reaches_its_outcome_and_hears_nothing_early(stack: RealCallStack, clinic: dict[str, Any],
                                                                    persona: str, outcome: str) -> None:
    report, h = call(stack, clinic, persona)
    assert report.outcome == outcome, f"{report.as_json()}\n{_story(h)}"
    assert h.identified_at is not None, f"{persona} never said who they were\n{_story(h)}"
    assert_spoken_well(report, h, patient_identified=True)
    if outcome in ("confirmed", "rescheduled"):
        # the patient heard their appointment (after saying who they were)
        assert any(heard.appointment_details(u.text) for u in h.agent), _story(h)


def test_family_member_hears_no_appointment_detail(stack: RealCallStack, clinic: dict[str, Any]) -> None:
    report, h = call(stack, clinic, "not_patient")
    assert report.outcome == "not_patient", f"{report.as_json()}\n{_story(h)}"
    assert_spoken_well(report, h, patient_identified=False)


def test_patient_who_barges_in_is_heard(stack: RealCallStack, clinic: dict[str, Any]) -> None:
    """The interrupter cuts in while the agent talks; the agent must stop, listen and still reschedule."""
    report, h = call(stack, clinic, "interrupter")
    assert report.outcome == "rescheduled", f"{report.as_json()}\n{_story(h)}"
    overlaps = [p for p in h.patient if any(a.start < p.start < a.end for a in h.agent)]
    assert overlaps, f"the interrupter never spoke over the agent\n{_story(h)}"


def test_silent_pick_up_still_confirms(stack: RealCallStack, clinic: dict[str, Any]) -> None:
    report, h = call(stack, clinic, "silent_confirmer")
    assert report.outcome == "confirmed", f"{report.as_json()}\n{_story(h)}"
    assert h.patient and h.agent[0].start < h.patient[0].start, "the silent persona spoke first"
    assert_spoken_well(report, h, patient_identified=True)


def test_mumbling_patient_still_confirms(stack: RealCallStack, clinic: dict[str, Any]) -> None:
    report, h = call(stack, clinic, "mumbler")
    assert report.outcome == "confirmed", f"{report.as_json()}\n{_story(h)}"
    assert h.identified_at is not None, _story(h)
    assert_spoken_well(report, h, patient_identified=True)


def test_agent_speaks_within_2s_of_the_answer() -> None:
    """Across every call above (run last): the agent's first audio on the line, seconds after the answer."""
    if not HEARD:
        pytest.skip("no spoken call ran in this session")
    late = {p: round(h.agent[0].start, 2) for p, h in HEARD if h.agent and h.agent[0].start > FIRST_AUDIO_LIMIT}
    assert not late, f"agent first heard later than {FIRST_AUDIO_LIMIT}s after the answer: {late}"
