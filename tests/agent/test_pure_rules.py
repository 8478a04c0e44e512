"""Pure rules: preference parsing, slot choice, speech formatting, fillers, SIP status mapping, voicemail."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from livekit import api

from agent import speech
from agent.dialing import outcome_for_sip_status, transfer_result_unknown
from agent.fillers import PhrasePicker
from agent.scripted_llm import classify_greeting
from agent.voicemail import estimated_seconds, leave_voicemail_text
from clinic.scheduling import Preference, callback_time, choose_slots, parse_preference

MON = date(2026, 3, 2)
NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(("text", "days", "earliest", "latest"), [
    ("next tuesday afternoon", {date(2026, 3, 3)}, time(12), time(17)),
    ("any morning next week", {date(2026, 3, 9) + timedelta(days=i) for i in range(7)}, time(0), time(12)),
    ("after 4", set(), time(16), None),
    ("I'd rather Thursday", {date(2026, 3, 5)}, None, None),
    ("tomorrow before 10am", {date(2026, 3, 3)}, None, time(10)),
    ("friday next week", {date(2026, 3, 13)}, None, None),
    ("march 12th", {date(2026, 3, 12)}, None, None),
    ("whatever works", set(), None, None),
])
def test_parse_preference(text, days, earliest, latest):
    p = parse_preference(text, today=MON)
    assert set(p.dates) == days and p.earliest == earliest and p.latest == latest


def _slots():
    out = []
    for d in range(1, 10):
        for h in (9, 10, 14, 16):
            out.append({"id": d * 100 + h, "starts_at": datetime(2026, 3, 2 + d, h, tzinfo=NY)})
    return out


def test_choose_at_most_three_near_preference():
    picked = choose_slots(_slots(), parse_preference("after 4", today=MON), tz=NY)
    assert 1 <= len(picked) <= 3 and all(s["starts_at"].hour >= 16 for s in picked)
    assert len({s["starts_at"].date() for s in picked}) == len(picked)   # spread over days


def test_choose_relaxes_when_nothing_matches():
    picked = choose_slots(_slots(), Preference(earliest=time(20)), tz=NY)
    assert len(picked) == 3


def _half_hourly(first_day: int = 3, last_day: int = 13) -> list[dict]:
    """Every half hour 8:00-16:30, weekdays and weekends alike (a busy clinic's free list)."""
    return [{"id": d * 1000 + m, "starts_at": datetime(2026, 3, d, m // 60, m % 60, tzinfo=NY)}
            for d in range(first_day, last_day + 1) for m in range(8 * 60, 17 * 60, 30)]


def test_single_day_wish_offers_distinct_times_of_day():
    # "next Tuesday afternoon" used to give 12:00, 12:30 and 1:00: one option said three times.
    picked = choose_slots(_half_hourly(), parse_preference("next tuesday afternoon", today=MON), tz=NY)
    local = [s["starts_at"].astimezone(NY) for s in picked]
    assert len(picked) == 3 and {t.date() for t in local} == {date(2026, 3, 3)}
    assert all(12 <= t.hour < 17 for t in local)
    assert len({t.hour for t in local}) == 3                      # three different hours
    assert local[0].hour == 12                                     # the soonest is still offered
    assert (local[-1] - local[0]) >= timedelta(hours=3)            # spread across the window
    assert min(b - a for a, b in itertools.pairwise(local)) >= timedelta(hours=1)


def test_broad_wish_offers_different_days_and_times_of_day():
    picked = choose_slots(_half_hourly(), parse_preference("any morning next week", today=MON), tz=NY)
    local = [s["starts_at"].astimezone(NY) for s in picked]
    assert len({t.date() for t in local}) == 3 and all(t.hour < 12 for t in local)
    assert len({(t.hour, t.minute) for t in local}) == 3
    assert max(t.hour for t in local) - min(t.hour for t in local) >= 2


def test_narrow_window_offers_what_there_is_spread():
    # Thursday after 3 leaves 3:00, 3:30, 4:00, 4:30: first, last, then one between.
    picked = choose_slots(_half_hourly(), parse_preference("I'd rather Thursday after 3", today=MON), tz=NY)
    times = [s["starts_at"].astimezone(NY).strftime("%H:%M") for s in picked]
    assert times[0] == "15:00" and times[-1] == "16:30" and len(set(times)) == 3


def test_callback_time():
    now = datetime(2026, 3, 2, 19, tzinfo=UTC)
    assert callback_time("in an hour", now=now, tz=NY) == now + timedelta(hours=1)
    assert callback_time("tomorrow after 5", now=now, tz=NY) == datetime(2026, 3, 3, 17, tzinfo=NY)
    assert callback_time("", now=now, tz=NY) == now + timedelta(hours=2)


def test_speech_forms():
    t = datetime(2026, 3, 2, 9, 15, tzinfo=NY)
    assert speech.say_when(t) == "Monday, March 2nd at 9:15 in the morning"
    assert speech.say_time(datetime(2026, 3, 2, 12, 0)) == "noon"
    assert speech.say_time(datetime(2026, 3, 2, 14, 0)) == "2 in the afternoon"
    assert speech.ordinal(11) == "11th" and speech.ordinal(22) == "22nd"
    assert speech.say_phone("+12125550100") == "2 1 2, 5 5 5, 0 1 0 0"
    assert speech.for_tts("**Call** +12125550100 😀") == "Call 2 1 2, 5 5 5, 0 1 0 0"


def test_fillers_never_repeat():
    p = PhrasePicker(seed=1)
    said = [p.lookup() for _ in range(40)] + [p.saving() for _ in range(30)]
    assert len(said) == len(set(s.lower() for s in said))


@pytest.mark.parametrize(("code", "outcome"), [(486, "busy"), (600, "busy"), (480, "no_answer"), (408, "no_answer"),
                                               (487, "no_answer"), (603, "rejected"), (403, "rejected"),
                                               (503, "failed"), (None, "failed")])
def test_sip_status_mapping(code, outcome):
    assert outcome_for_sip_status(code) == outcome


def test_voicemail_is_short_and_detail_free():
    text = leave_voicemail_text("Sunrise Family Medicine", "+12125550100")
    assert estimated_seconds(text) < 30 and "appointment" not in text.lower()


@pytest.mark.parametrize(("greeting", "category"), [
    ("Hello?", "human"), ("Hi this is Maria", "human"),
    ("You've reached Maria, leave a message after the tone", "machine-vm"),
    ("The mailbox is full and cannot accept any messages", "machine-unavailable"),
    ("Press 1 for English", "machine-ivr")])
def test_amd_greeting_rules(greeting, category):
    assert classify_greeting(greeting) == category


@pytest.mark.parametrize(("error", "unknown"), [
    # LiveKit SIP ended its REFER transaction with no answer seen (the race seen under load): settled by the far end
    (api.SipCallError("canceled", "transaction failed to complete (0 intermediate responses)", status=499), True),
    (api.ServerError("deadline_exceeded", "sip request timeout", status=504), True),
    # the far end answered the REFER with a refusal: certainly not transferred
    (api.SipCallError("permission_denied", "call transfer failed", status=403,
                      metadata={"sip_status_code": "603", "sip_status": "Decline"}), False),
    (api.ServerError("failed_precondition", "can't transfer hung up call", status=412), False),
    (api.ServerError("not_found", "participant not found", status=404), False),
])
def test_a_transfer_error_is_unknown_only_without_a_sip_answer(error: api.ServerError, unknown: bool) -> None:
    assert transfer_result_unknown(error) is unknown
