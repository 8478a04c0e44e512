"""LLM path benchmark: time per patient turn with the production brain (LiveKit's `openai.LLM` through
`brains()`, streaming tool calls) against the local stand-in endpoint (sim/local_llm), and the longest
silence the patient hears when the endpoint fails mid-call and `FallbackAdapter` switches to the script.

Each scenario is one text-mode call through the one call driver (`run_sim_job`) for a throwaway
appointment (sim/converse.py's, deleted afterwards). "Silence" is, for each patient turn, the time from the
turn to the agent's next words (a filler counts), from the call record's timestamps. The stand-in answers in
a few milliseconds, so the per-turn figure is our pipeline plus HTTP/SSE, not a cloud model's latency.

Usage: python bench/llm_path.py [--timeout S]   (S: AGENT_LLM_TIMEOUT_SECONDS for the slow case, default 1.0)"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.session_factory import brains
from clinic.settings import get_settings
from sim.converse import run_lines, throwaway_call
from sim.local_llm import start_local_llm

LINES = ["yes, speaking", "I can't make it, could I come Thursday afternoon instead?", "the second one"]
CASES: list[tuple[str, list[str]]] = [
    ("llm only", []),
    ("killed mid-call", ["--fault", "kill", "--fault-after", "2"]),
    ("killed mid-stream", ["--fault", "kill_mid_stream", "--fault-after", "1"]),
    ("http 500 mid-call", ["--fault", "http_500", "--fault-after", "2"]),
    ("slow first token (5 s)", ["--fault", "slow", "--fault-after", "2", "--slow-seconds", "5"]),
]


def _gaps(transcript: list[dict[str, Any]]) -> list[float]:
    out = []
    for i, e in enumerate(transcript):
        if e["role"] == "patient" and not e.get("greeting"):
            nxt = next((x for x in transcript[i + 1:] if x["role"] == "agent"), None)
            if nxt is not None:
                out.append(nxt["t"] - e["t"])
    return out


def _turn_times(transcript: list[dict[str, Any]]) -> list[float]:
    """Per patient turn: seconds until the agent's last entry (words or tool call) before the next turn."""
    out = []
    for i, e in enumerate(transcript):
        if e["role"] == "patient" and not e.get("greeting"):
            rest = transcript[i + 1:]
            end = next((j for j, x in enumerate(rest) if x["role"] == "patient"), len(rest))
            if end:
                out.append(rest[end - 1]["t"] - e["t"])
    return out


async def _one_call() -> tuple[str, list[float], list[float]]:
    async with throwaway_call("Maria") as (world, standin):
        result = await run_lines(world, standin, LINES, brains)
        return result.outcome, _gaps(result.transcript), _turn_times(result.transcript)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=1.0, help="AGENT_LLM_TIMEOUT_SECONDS (default 1.0)")
    args = parser.parse_args()
    os.environ["OPENAI_API_KEY"] = "sk-local-stand-in"
    os.environ["AGENT_LLM_TIMEOUT_SECONDS"] = str(args.timeout)
    for name, flags in CASES:
        server = start_local_llm(*flags)
        os.environ["OPENAI_BASE_URL"] = server.url
        get_settings.cache_clear()
        try:
            outcome, gaps, per_turn = asyncio.run(_one_call())
        finally:
            server.stop()
        print(f"{name:24s} outcome={outcome:12s} longest silence {max(gaps):.3f} s  "
              f"mean silence {statistics.mean(gaps):.3f} s  whole turn mean {statistics.mean(per_turn):.3f} s "
              f"max {max(per_turn):.3f} s  (timeout {args.timeout} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
