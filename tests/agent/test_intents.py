"""Intent accuracy on the labelled replies, and the CLI contract of `python -m agent.intents`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from agent.intents import LABELS, classify

DATA = Path(__file__).parent / "data" / "intents.jsonl"


def test_labelled_set_is_big_and_uses_design_labels():
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    assert len(rows) >= 300
    assert {r["intent"] for r in rows} == set(LABELS)


def test_accuracy_at_least_95_percent():
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    misses = [(r["text"], r["intent"], classify(r["text"]).intent) for r in rows
              if classify(r["text"]).intent != r["intent"]]
    accuracy = 1 - len(misses) / len(rows)
    assert accuracy >= 0.95, misses


def test_safety_critical_labels_are_never_read_as_yes():
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    wrong = Counter(classify(r["text"]).intent for r in rows if r["intent"] in ("opt_out", "wrong_number"))
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
