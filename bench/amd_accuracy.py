"""AMD accuracy on recorded greetings: per kind on the tuning and held-out halves, and a confusion matrix.

    python bench/amd_corpus.py            # once: writes bench/out/amd_corpus/
    python bench/amd_accuracy.py [--split tune|heldout|all] [--concurrency 4] [--no-tones] [--json]

Each greeting is played at real time into the agent's real AMD path (sim/amd_on_audio.py: AgentSession
from the session factory, local STT through `openai.STT`, Silero VAD, the v1-mini turn detector, the
scripted classifier, the phone call's `phone_amd`, and the tone tap). A speech server is started on a free
loopback port unless `--speech-url` is given. Expected categories: voicemail (with or without beep) ->
machine-vm, person -> human, IVR -> machine-ivr, carrier message -> machine-unavailable. "machine vs
person" counts only whether the call was treated as a machine (voicemail / hang up) or a person (talk)."""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.amd_corpus import KINDS, Item, load  # noqa: E402

CATEGORIES = ["human", "machine-vm", "machine-ivr", "machine-unavailable", "uncertain"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "speech_server", "--port", str(port), "--log-level", "WARNING"],
                            cwd=ROOT, env=os.environ.copy())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc, f"http://127.0.0.1:{port}/v1"
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("speech server did not start")


async def run_items(items: list[Item], speech_url: str, *, concurrency: int, tones: bool,
                    detection_options: dict[str, float] | None = None) -> list[dict[str, object]]:
    from livekit.plugins import silero

    from agent.speech_backends import local_speech_parts
    from clinic.settings import Settings
    from sim.amd_on_audio import amd_on_wav

    parts = local_speech_parts(Settings(speech_backend="local", local_speech_url=speech_url))
    vad = silero.VAD.load()
    sem = asyncio.Semaphore(concurrency)
    done = 0

    async def one(item: Item) -> dict[str, object]:
        nonlocal done
        async with sem:
            try:
                v = await amd_on_wav(item.path, stt=parts.stt, vad=vad, tones=tones,
                                     late_beep_within=2.0 if tones else 0.0, detection_options=detection_options)
                row = {"category": v.category, "reason": v.reason, "amd_category": v.amd_category,
                       "seconds": round(v.seconds, 2), "transcript": v.transcript}
            except Exception as exc:   # one broken item must not lose the run's figures
                row = {"category": "error", "reason": f"{type(exc).__name__}: {exc}"[:200], "amd_category": "",
                       "seconds": 0.0, "transcript": ""}
        done += 1
        print(f"\r  {done}/{len(items)}", end="", file=sys.stderr, flush=True)
        return {"id": item.id, "kind": item.kind, "split": item.split, "expected": item.expected, **row}

    rows = await asyncio.gather(*(one(i) for i in items))
    print(file=sys.stderr)
    await parts.tts.aclose()
    return list(rows)


def _is_machine(category: object) -> bool:
    return str(category).startswith("machine")


def summarise(rows: list[dict[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for split in ("tune", "heldout"):
        sub = [r for r in rows if r["split"] == split]
        if not sub:
            continue
        per_kind = {}
        for kind in KINDS:
            k = [r for r in sub if r["kind"] == kind]
            if k:
                per_kind[kind] = {"n": len(k), "accuracy": sum(r["category"] == r["expected"] for r in k) / len(k),
                                  "machine_vs_person": sum(_is_machine(r["category"]) == _is_machine(r["expected"])
                                                           for r in k) / len(k)}
        confusion: dict[str, dict[str, int]] = {}
        for r in sub:
            confusion.setdefault(str(r["kind"]), collections.Counter())[str(r["category"])] += 1  # type: ignore[index]
        secs = sorted(float(r["seconds"]) for r in sub)  # type: ignore[arg-type]
        out[split] = {
            "n": len(sub),
            "accuracy": sum(r["category"] == r["expected"] for r in sub) / len(sub),
            "machine_vs_person": sum(_is_machine(r["category"]) == _is_machine(r["expected"]) for r in sub) / len(sub),
            "per_kind": per_kind,
            "confusion": {k: dict(v) for k, v in confusion.items()},
            "verdict_seconds_p50": secs[len(secs) // 2],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=ROOT / "bench" / "out" / "amd_corpus")
    p.add_argument("--split", choices=["tune", "heldout", "all"], default="all")
    p.add_argument("--kinds", default=",".join(KINDS))
    p.add_argument("--limit", type=int, default=0, help="items per kind and split (0 = all)")
    p.add_argument("--concurrency", type=int, default=4, help="greetings played at once (default %(default)s)")
    p.add_argument("--no-tones", action="store_true", help="LiveKit's AMD alone (no beep/SIT detection)")
    p.add_argument("--human-silence", type=float, help="AMD human_silence_threshold to try (LiveKit default 0.5 s)")
    p.add_argument("--speech-url", help="use a running speech server (…/v1) instead of starting one")
    p.add_argument("--rows", type=Path, help="also write every item's verdict (with transcripts) to this JSON file")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if not (args.corpus / "manifest.json").exists():
        p.error(f"--corpus: {args.corpus}/manifest.json not found; run python bench/amd_corpus.py first")
    kinds = set(args.kinds.split(","))
    if bad := kinds - set(KINDS):
        p.error(f"--kinds: unknown kind {sorted(bad)[0]!r}")
    items = [i for i in load(args.corpus) if i.kind in kinds and (args.split == "all" or i.split == args.split)]
    if args.limit:
        seen: collections.Counter[tuple[str, str]] = collections.Counter()
        items = [i for i in items if (seen.update([(i.kind, i.split)]) or seen[(i.kind, i.split)] <= args.limit)]
    logging.basicConfig(level=logging.ERROR)

    server = None
    url = args.speech_url
    if url is None:
        server, url = _start_server()
    try:
        started = time.perf_counter()
        opts = {"human_silence_threshold": args.human_silence} if args.human_silence is not None else None
        rows = asyncio.run(run_items(items, url, concurrency=args.concurrency, tones=not args.no_tones,
                                     detection_options=opts))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
    summary = summarise(rows)
    summary["mode"] = ("amd" if args.no_tones else "amd+tones") + (
        f", human_silence_threshold {args.human_silence}s" if args.human_silence is not None else "")
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    if args.rows:
        args.rows.write_text(json.dumps(rows, indent=1))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"AMD on audio ({summary['mode']}), {len(rows)} greetings, {summary['wall_seconds']}s")
    for split in ("tune", "heldout"):
        s = summary.get(split)
        if not isinstance(s, dict):
            continue
        print(f"\n[{split}] accuracy {s['accuracy']:.0%}, machine-vs-person {s['machine_vs_person']:.0%} "
              f"(n={s['n']}), verdict p50 {s['verdict_seconds_p50']:.1f}s after answer")
        for kind, k in s["per_kind"].items():
            print(f"  {kind:10s} n={k['n']:3d}  category {k['accuracy']:5.0%}   machine-vs-person "
                  f"{k['machine_vs_person']:5.0%}")
        print("  confusion (rows: kind, columns: verdict)")
        cols = CATEGORIES + (["error"] if any(r["category"] == "error" for r in rows) else [])
        print("  " + " " * 10 + "".join(f"{c[:11]:>12s}" for c in cols))
        for kind, counts in s["confusion"].items():
            print(f"  {kind:10s}" + "".join(f"{counts.get(c, 0):12d}" for c in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
