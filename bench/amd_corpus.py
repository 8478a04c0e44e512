"""Generate the labelled AMD greeting corpus (WAV, 8 kHz phone line) into bench/out/amd_corpus/.

    python bench/amd_corpus.py [--per-kind 48] [--out bench/out/amd_corpus] [--json]

Reproducible: every item is seeded by its kind and index (see sim/amd_corpus.py); the tune / held-out
split is fixed by template, before anything is measured."""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.amd_corpus import KINDS, build  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-kind", type=int, default=48, help="items per kind (default %(default)s, >= 40)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "amd_corpus", help="output folder")
    p.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset of " + ",".join(KINDS))
    p.add_argument("--json", action="store_true", help="print the manifest summary as JSON")
    args = p.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if bad := [k for k in kinds if k not in KINDS]:
        p.error(f"--kinds: unknown kind {bad[0]!r}")
    if args.per_kind < 2:
        p.error("--per-kind: must be at least 2 (one per half)")
    started = time.perf_counter()
    items = build(args.out, args.per_kind, kinds)  # type: ignore[arg-type]
    counts = collections.Counter((i.kind, i.split) for i in items)
    summary = {"out": str(args.out), "items": len(items), "seconds": round(time.perf_counter() - started, 1),
               "counts": {f"{k}/{s}": n for (k, s), n in sorted(counts.items())}}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{len(items)} greetings in {args.out} ({summary['seconds']}s)")
        for key, n in summary["counts"].items():
            print(f"  {key:20s} {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
