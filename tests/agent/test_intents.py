"""Intent accuracy on the tuning set and on the five held-out sets, and the CLI contract of `python -m agent.intents`.

The held-out sets (data/intents_heldout.jsonl, committed before any tuning; data/intents_heldout_v2.jsonl,
written from scratch and committed before the families and the head changes; data/intents_heldout_v3.jsonl,
written by a session that never saw the classifier or the other sets, committed before the third family batch;
v4 and v5, written the same way, each committed before the changes it measures) are never trained or tuned on;
bench/intent_accuracy.py prints the figures side by side."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from agent.intents import LABELS, classify, confirms_identity

DATA = Path(__file__).parent / "data" / "intents.jsonl"
FAMILIES = Path(__file__).parent / "data" / "intents_families.jsonl"
HELDOUT = Path(__file__).parent / "data" / "intents_heldout.jsonl"
HELDOUT_V2 = Path(__file__).parent / "data" / "intents_heldout_v2.jsonl"
HELDOUT_V3 = Path(__file__).parent / "data" / "intents_heldout_v3.jsonl"
HELDOUT_V4 = Path(__file__).parent / "data" / "intents_heldout_v4.jsonl"
HELDOUT_V5 = Path(__file__).parent / "data" / "intents_heldout_v5.jsonl"
ALL_HELDOUT = pytest.mark.parametrize("path", [HELDOUT, HELDOUT_V2, HELDOUT_V3, HELDOUT_V4, HELDOUT_V5],
                                      ids=["v1", "v2", "v3", "v4", "v5"])


def test_labelled_set_is_big_and_uses_design_labels():
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    assert len(rows) >= 300
    assert {r["intent"] for r in rows} == set(LABELS)


def _rows(subset: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    return [r for r in rows if subset is None or r.get("set") == subset]


def _misses(rows: list[dict]) -> list[tuple[str, str, str, str]]:
    """Rows carry an optional `context` (what the agent just asked; default "appointment")."""
    out = []
    for r in rows:
        ctx = r.get("context", "appointment")
        got = classify(r["text"], ctx).intent
        if got != r["intent"]:
            out.append((r["text"], ctx, r["intent"], got))
    return out


def test_tuning_set_accuracy_at_least_97_percent():
    rows = _rows()
    misses = _misses(rows)
    accuracy = 1 - len(misses) / len(rows)
    assert accuracy >= 0.97, misses


def _families() -> list[dict]:
    return [json.loads(line) for line in FAMILIES.read_text().splitlines() if line.strip()]


def test_families_training_rows_accuracy_at_least_97_percent():
    rows = _families()
    assert len(rows) >= 500
    misses = _misses(rows)
    assert 1 - len(misses) / len(rows) >= 0.97, misses


def test_families_file_is_what_the_generator_writes():
    """Edit scripts/intent_families.py, not the jsonl: the file is its output."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("intent_families", Path(__file__).parents[2] / "scripts" /
                                                  "intent_families.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.rows() == _families()


def _heldout(path: Path = HELDOUT) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _normalized(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c == " ").split())


@pytest.mark.parametrize("path", [HELDOUT_V2, HELDOUT_V3, HELDOUT_V4, HELDOUT_V5], ids=["v2", "v3", "v4", "v5"])
def test_no_held_out_reply_is_in_the_training_rows(path: Path):
    """v1 predates this rule (its rows were written before the training set had grown; the bench reports v1 on
    its unseen texts too); v2 to v5 share no normalised text with any training row."""
    trained = {_normalized(r["text"]) for r in _rows() + _families()}
    assert [r["text"] for r in _heldout(path) if _normalized(r["text"]) in trained] == []


@ALL_HELDOUT
def test_heldout_set_is_big_and_covers_every_label_and_context(path: Path):
    rows = _heldout(path)
    assert len(rows) >= 200
    assert {r["intent"] for r in rows} == set(LABELS)
    assert {r["context"] for r in rows} == {"identity", "appointment", "yes_no", "slot_choice"}


def test_heldout_accuracy():
    """v1: 96.3 % with the first family batch; 97.95 % with the second, the word-pair head and the negated-change
    rule; 97.54 % with the third batch; 97.95 % with the middle-layer view; 98.77 % with the fourth batch; 97.95 %
    with the fifth (README; target 97 %)."""
    rows = _heldout()
    accuracy = 1 - len(_misses(rows)) / len(rows)
    assert accuracy >= 0.975, f"{accuracy:.3f}"   # misses not printed: a held-out set is never tuned on


def test_heldout_v2_accuracy():
    """v2 (written after v1's figure was known): 91.4 % before the families, 91.8 % after, 93.5 % with the
    second family batch, the word-pair head and the negated-change rule; 94.8 % with the third batch, 95.3 % with
    the fourth and the fifth (README; target 97 %, not reached)."""
    rows = _heldout(HELDOUT_V2)
    accuracy = 1 - len(_misses(rows)) / len(rows)
    assert accuracy >= 0.95, f"{accuracy:.3f}"


def test_heldout_v3_accuracy():
    """v3 (written by a session that never saw the classifier or the other sets): 88.8 % before the third family
    batch, 89.6 % after it, 89.9 % once its one dangerous miss was audited and guarded, 90.3 % with the
    middle-layer view, 91.4 % with the fourth batch, 91.8 % with the fifth (README; target 97 %, not reached)."""
    rows = _heldout(HELDOUT_V3)
    accuracy = 1 - len(_misses(rows)) / len(rows)
    assert accuracy >= 0.91, f"{accuracy:.3f}"


def test_heldout_v4_accuracy():
    """v4 (written blind like v3, before the rules and the middle-layer view of this change): 93.4 % before, 93.4 %
    with the rules and the middle-layer view, 94.1 % with the fourth batch, 93.75 % with the fifth (README; target
    97 %, not reached)."""
    rows = _heldout(HELDOUT_V4)
    accuracy = 1 - len(_misses(rows)) / len(rows)
    assert accuracy >= 0.935, f"{accuracy:.3f}"


def test_heldout_v5_accuracy():
    """v5 (written blind like v3 and v4, committed before the fifth batch was merged): 93.1 % before, 93.7 % with
    the fifth batch (README; target 97 %, not reached)."""
    rows = _heldout(HELDOUT_V5)
    accuracy = 1 - len(_misses(rows)) / len(rows)
    assert accuracy >= 0.935, f"{accuracy:.3f}"


@ALL_HELDOUT
def test_heldout_opt_outs_and_third_parties_are_never_read_as_confirm(path: Path):
    rows = [r for r in _heldout(path) if r["intent"] in ("opt_out", "not_patient", "wrong_number")]
    assert len(rows) >= 40
    assert [r["text"] for r in rows if classify(r["text"], r["context"]).intent == "confirm"] == []


def test_shipped_weights_were_trained_on_the_current_tuning_set():
    """Edit intents.jsonl or the families -> run `python -m agent.intents train` and commit
    agent/data/intent_head.npz."""
    from agent.intent_model import file_sha256, shipped_head

    assert shipped_head().data_sha256 == file_sha256(DATA, FAMILIES)


@pytest.mark.parametrize("subset", ["fresh-negation", "fresh-optout"])
def test_accuracy_on_fresh_negation_and_opt_out_cases(subset: str):
    rows = _rows(subset)
    assert len(rows) >= 15
    misses = _misses(rows)
    assert 1 - len(misses) / len(rows) >= 0.95, misses


@pytest.mark.parametrize("text", ["absolutely not", "definitely not", "of course not", "certainly not", "probably not",
                                  "i guess not", "okay no", "right, no, i can't", "yes? no, sorry, it's not"])
def test_yes_word_followed_by_not_is_never_a_yes(text: str):
    assert classify(text, "identity").intent == "not_patient"
    assert classify(text, "identity").negative
    assert classify(text, "appointment").intent != "confirm"
    assert classify(text, "yes_no").intent != "confirm"


@pytest.mark.parametrize("text", ["no problem", "no worries, i'll be there", "sure, why not", "not a problem",
                                  "yeah no that's fine", "no i can make it", "can't wait, see you then"])
def test_idioms_with_a_negation_that_mean_yes(text: str):
    assert classify(text, "appointment").intent == "confirm"


@pytest.mark.parametrize("text", ["don't call again", "dont call again", "please stop", "I don't want these calls",
                                  "take me off the list", "remove my number", "don't call me anymore"])
def test_opt_out_wins_over_callback(text: str):
    assert classify(text).intent == "opt_out"
    assert classify("call me again tomorrow").intent == "callback_later"


def test_safety_critical_labels_are_never_read_as_yes():
    rows = _rows() + _families()
    wrong = Counter(classify(r["text"], r.get("context", "appointment")).intent
                    for r in rows if r["intent"] in ("opt_out", "wrong_number"))
    assert wrong["confirm"] == 0


def test_context_decides_bare_no():
    assert classify("no", "identity").intent == "not_patient"
    assert classify("no", "appointment").intent == "reschedule"
    assert classify("[keypad 9]").intent == "opt_out"


def test_cli_prints_json_lines():
    out = subprocess.run([sys.executable, "-m", "agent.intents"], input="yes\nstop calling me\n\n",
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert [json.loads(line)["intent"] for line in out] == ["confirm", "opt_out"]
    assert json.loads(out[0])["text"] == "yes"


def test_cli_context_decides_what_no_and_a_wife_mean():
    def run(context: str) -> list[str]:
        out = subprocess.run([sys.executable, "-m", "agent.intents", "--context", context],
                             input="no\nI am his wife\n", capture_output=True, text=True, check=True).stdout
        return [json.loads(line)["intent"] for line in out.splitlines()]

    assert run("identity") == ["not_patient", "not_patient"]
    assert run("appointment")[0] == "reschedule"


def test_cli_rejects_an_unknown_context():
    proc = subprocess.run([sys.executable, "-m", "agent.intents", "--context", "bogus"], input="",
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "--context" in proc.stderr


@pytest.mark.parametrize("context", ["appointment", "slot_choice", "yes_no"])
@pytest.mark.parametrize("text", [
    "that's not my appointment, it's my son's",
    "it's her booking, not mine, you'll have to ask her",
    "no no that's my husband's appointment",
    "you'd need to speak to him about it",
])
def test_a_reply_that_gives_the_appointment_to_someone_else_never_accepts_it(text: str, context: str):
    assert classify(text, context).intent == "not_patient"


@pytest.mark.parametrize(("text", "context", "want"), [
    ("no need to change it", "appointment", "confirm"),          # keeping it, not a change
    ("wouldn't miss it", "appointment", "confirm"),
    ("the line is bad", "appointment", "unclear"),                # the phone line, not the day
    ("that day is bad", "appointment", "reschedule"),
    ("uh huh yes", "identity", "confirm"),
    ("thursday at 2", "slot_choice", "confirm"),                  # names one of the times on offer
    ("the 3 pm", "slot_choice", "confirm"),
    ("wednesday works", "slot_choice", "confirm"),
    ("what was the second time", "slot_choice", "question"),     # asking about an option is not picking it
    ("none of that is good", "slot_choice", "reschedule"),        # "that is good" inside a refusal books nothing
    ("neither of those, sorry", "slot_choice", "reschedule"),
])
def test_rules_found_wrong_by_the_family_rows(text: str, context: str, want: str):
    assert classify(text, context).intent == want


@pytest.mark.parametrize(("text", "want"), [
    ("no hang on, yes, I can do that", "confirm"),               # a no taken back: the last yes decides
    ("nope sorry, misheard you, yeah we'll be there", "confirm"),
    ("no wait, yes, actually can we move it", "reschedule"),     # ...unless what follows the yes asks for a change
    ("no, yes, I mean no, I can't", "reschedule"),
    ("not a bother, we'll be along", "confirm"),
    ("yep, no need to ring me again", "confirm"),                # "no need to call" is not a no
    ("I won't be going in at all", "cancel"),
    ("there's no need for the appointment now", "cancel"),
    ("I'll be out of the country then", "reschedule"),
    ("I'm working that afternoon", "reschedule"),                # busy at the appointment's time, not now
    ("I'm at work, ring me back later", "callback_later"),       # busy now
    ("does the doctor do evenings", "question"),
])
def test_rules_found_wrong_by_the_third_batch(text: str, want: str):
    assert classify(text, "appointment").intent == want


@pytest.mark.parametrize("text", ["he's away on business until friday", "she's in hospital, she can't make anything",
                                  "he's having his operation that week", "she won't be needing it"])
def test_before_identity_a_reply_about_the_patient_is_a_third_party(text: str):
    assert classify(text, "identity").intent == "not_patient"


@pytest.mark.parametrize("text", ["it's his gran speaking", "you're talking to her nan", "yes, her nanna here",
                                  "it's the gramps, he's out"])
def test_a_gran_or_nan_is_a_third_party_at_identity(text: str):
    """"Gran"/"nan" are relations too (fourth family batch: "it's her gran speaking" was read as the patient)."""
    assert classify(text, "identity").intent == "not_patient"


@pytest.mark.parametrize("text", ["this is her twin speaking", "it's her godfather", "this is her hubby",
                                  "you're talking to her childminder", "it's her mam here", "this is her ex"])
def test_household_words_after_her_are_a_third_party_at_identity(text: str):
    """"This is her <word>" names someone of the patient's, also for words no earlier rule listed (fifth family
    batch: "yes, this is her twin" and "it's her hubby here" were read as the patient's own "this is her")."""
    assert not confirms_identity(text, "Maria")
    assert classify(text, "identity", "Maria").intent == "not_patient"


@pytest.mark.parametrize("text", ["I'm the mum, I'll see he gets there", "this is the husband, yes, we'll be there",
                                  "it's for her, I'll drive her there", "that's for my son, yes he'll come"])
@pytest.mark.parametrize("context", ["appointment", "slot_choice"])
def test_a_third_party_saying_the_patient_will_come_is_not_a_yes(text: str, context: str):
    """Someone who names their role ("I'm the carer") or gives the appointment to someone else ("it's for him")
    is not the patient, even when they promise the patient will come (fifth family batch, CV: read as confirm)."""
    assert classify(text, context).intent == "not_patient"


@pytest.mark.parametrize("text", ["don't ring us anymore", "please don't phone us again, we're not interested",
                                  "don't call us, we'll call you"])
def test_dont_call_us_is_an_opt_out(text: str):
    """The household asks not to be called (fourth family batch: read as a callback request)."""
    assert classify(text, "identity").intent == "opt_out"
    assert classify(text, "appointment").intent == "opt_out"


@pytest.mark.parametrize("text", ["grand, we'll be along", "no fuss, we'll be in"])
def test_well_be_along_is_a_yes(text: str):
    """"We'll be along" keeps the booking like "I'll be along" (the fourth batch's head alone read "not a bother,
    we'll be along" as a no)."""
    assert classify(text, "appointment").intent == "confirm"


@pytest.mark.parametrize("text", ["one sec, I'm just parking the car", "I'm a bit deaf, love, speak up",
                                  "I'm listening", "I'm very old, go slowly"])
def test_saying_something_about_yourself_is_not_saying_you_are_the_patient(text: str):
    assert not confirms_identity(text, "Maria")
    assert classify(text, "identity", "Maria").intent != "confirm"


@pytest.mark.parametrize("text", ["I'm Maria", "yes, I'm maria lopez", "I'm Marie"])   # ASR spellings allowed
def test_giving_the_patients_name_is(text: str):
    assert confirms_identity(text, "Maria")
