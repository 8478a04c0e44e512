"""Intent accuracy on the tuning set and the held-out set, the identity red team, and time per reply.

    .venv/bin/python bench/intent_accuracy.py [--json] [--misses] [--heldout-misses]

The held-out sets (tests/agent/data/intents_heldout.jsonl; intents_heldout_v2.jsonl written from scratch
after v1's figure was known; intents_heldout_v3.jsonl, written by a session that never saw the classifier or
the other sets, before the third family batch; intents_heldout_v4.jsonl and intents_heldout_v5.jsonl, written the
same way, each committed before the changes it measures) are never trained or tuned on; `--misses` lists the tuning
set's misses only, so that looking for training ideas never shows a held-out reply (`--heldout-misses` is for
auditing labels); the tuning set (intents.jsonl) is what the shipped head was trained on, so its figure
is optimistic by construction. Both are printed side by side. Time per reply is measured on texts not
seen before in the process (the embedding cache is cleared), i.e. the cost a live call pays."""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent import embedding  # noqa: E402
from agent.intent_model import read_rows  # noqa: E402
from agent.intents import classify  # noqa: E402

DATA = ROOT / "tests" / "agent" / "data"
SAFETY = ("opt_out", "not_patient", "wrong_number")


def _norm(t: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", t.lower()).strip()


def evaluate(rows: list[dict]) -> dict:
    misses = []
    unsafe = 0
    for r in rows:
        ctx = r.get("context", "appointment")
        got = classify(r["text"], ctx).intent  # type: ignore[arg-type]
        if got != r["intent"]:
            misses.append({"text": r["text"], "context": ctx, "want": r["intent"], "got": got})
            unsafe += got == "confirm" and r["intent"] in SAFETY
    return {"rows": len(rows), "accuracy": round(1 - len(misses) / len(rows), 4),
            "safety_read_as_confirm": unsafe, "misses": misses}


# The figures printed, in order: the training rows, then the held-out sets.
REPORTED = ("tuning", "tuning_families", "heldout", "heldout_unseen_text", "heldout_v2", "heldout_v3", "heldout_v4",
            "heldout_v5")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--misses", action="store_true", help="list the tuning set's misclassified replies")
    parser.add_argument("--heldout-misses", action="store_true",
                        help="also list the held-out sets' misses (auditing only: never write training data from them)")
    args = parser.parse_args()
    tuning = read_rows(DATA / "intents.jsonl")
    families = read_rows(DATA / "intents_families.jsonl")
    heldout = read_rows(DATA / "intents_heldout.jsonl")
    heldout_v2 = read_rows(DATA / "intents_heldout_v2.jsonl")
    heldout_v3 = read_rows(DATA / "intents_heldout_v3.jsonl")
    heldout_v4 = read_rows(DATA / "intents_heldout_v4.jsonl")
    heldout_v5 = read_rows(DATA / "intents_heldout_v5.jsonl")
    redteam = read_rows_redteam(DATA / "identity_redteam.jsonl")
    seen = {_norm(r["text"]) for r in tuning + families}
    unseen = [r for r in heldout if _norm(r["text"]) not in seen]
    result = {"tuning": evaluate(tuning), "tuning_families": evaluate(families), "heldout": evaluate(heldout),
              "heldout_unseen_text": evaluate(unseen),
              "heldout_v2": evaluate(heldout_v2), "heldout_v3": evaluate(heldout_v3),
              "heldout_v4": evaluate(heldout_v4), "heldout_v5": evaluate(heldout_v5)}
    red_confirms = [t for t in redteam if classify(t, "identity", "Maria").intent == "confirm"]
    result["redteam"] = {"rows": len(redteam), "read_as_confirm": len(red_confirms), "which": red_confirms}
    embedding.embed.cache_clear()
    classify("warm up", "appointment")
    times = []
    for r in heldout + heldout_v2:
        embedding.embed.cache_clear()
        t0 = time.perf_counter()
        classify(r["text"], r.get("context", "appointment"))  # type: ignore[arg-type]
        times.append((time.perf_counter() - t0) * 1000)
    result["ms_per_reply"] = {"median": round(statistics.median(times), 2),
                              "p95": round(sorted(times)[int(0.95 * len(times))], 2)}
    # The learned path alone (embedding + head), which replies no trusted rule labels pay.
    from agent.intent_model import shipped_head

    head_times = []
    for r in heldout + heldout_v2:
        embedding.embed.cache_clear()
        t0 = time.perf_counter()
        shipped_head().probabilities(r["text"].lower(), r.get("context", "appointment"))
        head_times.append((time.perf_counter() - t0) * 1000)
    result["ms_per_reply_learned_path"] = {"median": round(statistics.median(head_times), 2),
                                           "p95": round(sorted(head_times)[int(0.95 * len(head_times))], 2)}
    for k in REPORTED:
        if not (args.heldout_misses or (args.misses and k in ("tuning", "tuning_families"))):
            result[k].pop("misses")
    if args.json:
        print(json.dumps(result))
        return 0
    for k in REPORTED:
        r = result[k]
        print(f"{k:22s} {r['accuracy'] * 100:6.2f} %  ({r['rows']} replies, "
              f"{r['safety_read_as_confirm']} opt-out/third-party/wrong-number read as confirm)")
        for m in r.get("misses", []):
            print(f"    [{m['context']}] {m['text']!r}: want {m['want']}, got {m['got']}")
    red, ms = result["redteam"], result["ms_per_reply"]
    print(f"identity red team      {red['read_as_confirm']} of {red['rows']} read as confirm {red['which'] or ''}")
    print(f"time per reply         median {ms['median']} ms, p95 {ms['p95']} ms (rules answer most replies)")
    lp = result["ms_per_reply_learned_path"]
    print(f"  learned path alone   median {lp['median']} ms, p95 {lp['p95']} ms (MiniLM embedding + head)")
    return 0


def read_rows_redteam(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]


if __name__ == "__main__":
    sys.exit(main())
