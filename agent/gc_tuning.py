"""Garbage-collector settings for a worker process that holds live calls.

A LiveKit job process imports livekit-agents, openai, pydantic models and loads the VAD: ~150k
long-lived objects. Python's full (gen 2) collection walks all of them, and it runs on the event loop
in the middle of whatever turn happens to allocate at the wrong moment: measured 170 ms stalls in
bench/agent_turn.py. Freezing the startup heap after prewarm takes those objects out of every future
collection; objects created during calls are still collected normally."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect once, then freeze everything alive (call at the end of process startup/prewarm)."""
    gc.collect()
    gc.freeze()
