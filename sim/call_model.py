"""How long a simulated call would have lasted on a real line, and what it would have cost.

In `sim` mode the conversation is text: no audio is synthesised or transcribed, the scripted brain uses
no tokens, so the attempt's recorded `cost_usd` is 0 and its duration is only processing time on the
simulated clock. For the demo's figures we model the real call from its transcript instead: speech at
150 words a minute plus a short gap per turn, billed at the agent's price table (settings.agent_prices)
for SIP minutes, STT minutes, TTS characters, and an LLM turn of typical size per agent reply.
The assumptions are constants here so they can be read and argued with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WORDS_PER_SECOND = 2.5            # ~150 words per minute, a calm phone voice
TURN_GAP_SECONDS = 0.8            # end-of-turn detection plus response latency
LLM_INPUT_TOKENS_PER_REPLY = 1500  # instructions, clinic facts, tools and the conversation so far
LLM_OUTPUT_TOKENS_PER_REPLY = 40


def _spoken(transcript: Any) -> list[dict[str, Any]]:
    items = transcript if isinstance(transcript, list) else (transcript or {}).get("turns", []) \
        if isinstance(transcript, dict) else []
    return [i for i in items if isinstance(i, dict) and i.get("role") in ("agent", "patient") and i.get("text")]


def spoken_seconds(transcript: Any) -> float:
    """Modelled length of the answered part of a call: words spoken plus a gap per turn."""
    turns = _spoken(transcript)
    words = sum(len(str(t["text"]).split()) for t in turns)
    return words / WORDS_PER_SECOND + TURN_GAP_SECONDS * len(turns)


def modelled_cost(transcript: Any, prices: Mapping[str, float]) -> float:
    """USD for one answered call with real audio and an LLM, from the price table."""
    turns = _spoken(transcript)
    minutes = spoken_seconds(transcript) / 60
    agent_turns = [t for t in turns if t["role"] == "agent" and not t.get("filler")]
    tts_chars = sum(len(str(t["text"])) for t in turns if t["role"] == "agent")
    cost = minutes * (prices.get("sip_per_minute", 0) + prices.get("stt_per_minute", 0))
    cost += tts_chars / 1000 * prices.get("tts_per_1k_chars", 0)
    cost += len(agent_turns) * (LLM_INPUT_TOKENS_PER_REPLY / 1000 * prices.get("llm_input_per_1k_tokens", 0)
                                + LLM_OUTPUT_TOKENS_PER_REPLY / 1000 * prices.get("llm_output_per_1k_tokens", 0))
    return cost
