"""Cross-validation of the intent classifier on the tuning set only: how head settings and training-data
changes are chosen without looking at either held-out set.

    .venv/bin/python bench/intent_cv.py [--folds 5] [--json]

Each fold trains the head on the other folds' rows and scores the full `agent.intents.classify` (rules,
head and guards) on the fold's rows. Rows of one paraphrase family (`family` field) stay in one fold, so a
fold never scores a reply whose near-copy it was trained on."""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent import intent_model  # noqa: E402
from agent.intent_model import examples_from, train, training_rows  # noqa: E402
from agent.intents import classify, to_act  # noqa: E402

SAFETY = ("opt_out", "not_patient", "wrong_number")


def fold_of(row: dict, folds: int) -> int:
    key = row.get("family") or row["text"].lower()
    return zlib.crc32(key.encode()) % folds


def part_of(row: dict) -> str:
    """Which training part a row is: hand-labelled, or a paraphrase family of batch N ("families_N", in the order of
    scripts/intent_families.py BATCHES; the later ones were written after the rules and are the closest thing in
    the training data to replies nobody tuned on)."""
    fam = row.get("family")
    if not fam:
        return "hand_labelled"
    return f"families_{_BATCH_OF.get(tuple(fam.split('/')[:3]), 1)}"


def _batch_of() -> dict[tuple[str, ...], int]:
    """Family key -> its batch number (1-based), read from the generator so a new batch needs no edit here."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("intent_families", ROOT / "scripts" / "intent_families.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return {key: n for n, batch in enumerate(mod.BATCHES, start=1) for key in batch}


_BATCH_OF = _batch_of()


def cross_validate(rows: list[dict], folds: int) -> dict:
    hits = unsafe = 0
    per_label: dict[str, list[int]] = {}
    per_part: dict[str, list[int]] = {}
    for k in range(folds):
        train_rows = [r for r in rows if fold_of(r, folds) != k]
        test_rows = [r for r in rows if fold_of(r, folds) == k]
        head = train(examples_from(train_rows, to_act))
        with mock.patch.object(intent_model, "shipped_head", lambda head=head: head):
            for r in test_rows:
                got = classify(r["text"], r.get("context", "appointment")).intent  # type: ignore[arg-type]
                ok = got == r["intent"]
                hits += ok
                unsafe += got == "confirm" and r["intent"] in SAFETY
                per_label.setdefault(r["intent"], [0, 0])
                per_label[r["intent"]][0] += ok
                per_label[r["intent"]][1] += 1
                part = per_part.setdefault(part_of(r), [0, 0])
                part[0] += ok
                part[1] += 1
    return {"rows": len(rows), "folds": folds, "accuracy": round(hits / len(rows), 4),
            "safety_read_as_confirm": unsafe,
            "per_part": {k: round(a / n, 4) for k, (a, n) in sorted(per_part.items())},
            "per_label": {k: round(a / n, 3) for k, (a, n) in sorted(per_label.items())}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    t0 = time.perf_counter()
    result = cross_validate(training_rows(), args.folds)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"tuning-set {args.folds}-fold CV  {result['accuracy'] * 100:.2f} %  ({result['rows']} replies, "
              f"{result['safety_read_as_confirm']} opt-out/third-party/wrong-number read as confirm)")
        print("  per part: " + ", ".join(f"{k} {v * 100:.2f} %" for k, v in result["per_part"].items()))
        print("  per label: " + ", ".join(f"{k} {v * 100:.0f} %" for k, v in result["per_label"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
