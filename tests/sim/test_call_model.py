"""The call-length and cost model used for the demo's figures."""

from __future__ import annotations

import pytest

from sim.call_model import modelled_cost, spoken_seconds

T = [
    {"role": "agent", "text": "Hi, this is the automated assistant for Sunrise Family Medicine."},  # 10 words
    {"role": "patient", "text": "yes this is maria"},                                                 # 4 words
    {"role": "tool", "name": "confirm_appointment"},
    {"role": "agent", "text": "um, one sec", "filler": True},                                       # 3 words
]


def test_spoken_seconds_counts_words_and_turns() -> None:
    assert spoken_seconds(T) == pytest.approx(17 / 2.5 + 3 * 0.8)
    assert spoken_seconds({"turns": T}) == spoken_seconds(T)
    assert spoken_seconds(None) == 0


def test_modelled_cost_uses_the_price_table() -> None:
    assert modelled_cost(T, {}) == 0
    only_sip = modelled_cost(T, {"sip_per_minute": 0.6})
    assert only_sip == pytest.approx(spoken_seconds(T) / 60 * 0.6)
    llm = modelled_cost(T, {"llm_input_per_1k_tokens": 1.0})
    assert llm == pytest.approx(1.5)  # one non-filler agent reply x 1500 input tokens
