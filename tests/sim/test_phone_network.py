"""The simulated phone network: personas per number, lines per call, far ends for answered calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.personas import DEFAULT_MIX
from sim.phone_network import CallListError, PhoneNetwork, RedisCounter, read_personas

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "call_list.csv"


def test_sample_call_list_covers_every_persona() -> None:
    subs = read_personas(SAMPLE.read_bytes())
    assert len(subs) == 40
    counts: dict[str, int] = {}
    for s in subs.values():
        counts[s.persona] = counts.get(s.persona, 0) + 1
    assert set(counts) == set(DEFAULT_MIX)
    assert all(n >= 2 for n in counts.values())
    assert subs["+12125550100"].first_name == "Maria"
    assert subs["+17185550104"].first_name == "Li"  # "Chen, Li"


def test_lines_follow_personas_and_count_calls() -> None:
    net = PhoneNetwork({"+12125550100": "busy_then_confirm", "+12125550102": "no_answer",
                        "+12125550104": "voicemail"}, seed=3)
    assert net.dial("(212) 555-0100") == "busy"
    assert net.dial("tel:+12125550100") == "person"
    assert net.calls_to("+12125550100") == 2
    assert net.far_end_for("+12125550100").kind == "person"
    assert [net.dial("+12125550102") for _ in range(3)] == ["no_answer"] * 3
    assert net.dial("sip:+12125550104@trunk") == "machine"
    assert net.far_end_for("+12125550104").kind == "machine"


def test_numbers_without_a_persona_get_a_deterministic_one() -> None:
    a = PhoneNetwork(seed=1).persona_of("+13475550199")
    assert a == PhoneNetwork(seed=2).persona_of("+1 347 555 0199") and a in DEFAULT_MIX
    restricted = PhoneNetwork(default_personas=["confirmer"])
    assert restricted.persona_of("+13475550199") == "confirmer"


def test_unknown_persona_is_an_error_naming_the_line() -> None:
    with pytest.raises(CallListError, match="line 3, column persona: unknown persona 'grumpy'"):
        read_personas("id,name,phone,start,persona\n1,A B,2125550100,2027-01-13 10:00,confirmer\n"
                      "2,C D,2125550102,2027-01-13 10:00,grumpy\n")
    with pytest.raises(CallListError, match="phone"):
        read_personas(b"name,persona\nx,confirmer\n")


def test_persona_column_is_optional() -> None:
    subs = read_personas("Appt ID;Patient Name;Phone;Start\nA1;Ana Souza;212 555 0100;2027-01-13 10:00\n")
    assert subs["+12125550100"].first_name == "Ana" and subs["+12125550100"].persona in DEFAULT_MIX


def test_redis_counter_survives_a_new_network(redis_url: str, redis_prefix: str) -> None:
    one = PhoneNetwork({"+12125550100": "busy_then_confirm"}, counter=RedisCounter(redis_url, redis_prefix))
    assert one.dial("+12125550100") == "busy"
    restarted = PhoneNetwork({"+12125550100": "busy_then_confirm"}, counter=RedisCounter(redis_url, redis_prefix))
    assert restarted.dial("+12125550100") == "person"
