"""Multi-turn calls in text mode with the scripted brain; tool effects checked in Postgres."""

from __future__ import annotations

from datetime import timedelta

from tests.agent.conftest import NOW, ScriptedFarEnd, agent_lines, appointment, attempt


def test_confirm(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes this is maria", "yes I'll be there"]))
    assert result.amd_category == "human"
    assert result.outcome == "confirmed"
    assert appointment(conn, world["appointment"]["id"])["status"] == "confirmed"
    row = attempt(conn, world["attempt"]["id"])
    assert row["outcome"] == "confirmed" and row["transcript"] and row["summary"]


def _compliant(result, first_name="Maria"):
    """Disclosure in the first turn; no appointment details before identity; no Markdown/emoji."""
    lines = agent_lines(result)
    assert "automated assistant" in lines[0] and "Sunrise Family Medicine" in lines[0]
    for line in lines:
        assert "*" not in line and "#" not in line
    idx = next((i for i, e in enumerate(result.transcript) if e.get("role") == "tool"
                and e["name"] == "confirm_identity"), None)
    before = [e["text"] for e in result.transcript[:idx] if e["role"] == "agent"]
    for line in before:
        for detail in ("March", "Wednesday", "Dr. Patel", "9:15", "Main Street"):
            assert detail not in line, line


def test_reschedule_next_week_morning(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes speaking", "I can't make it", "any morning next week",
                                      "the second one"]))
    _compliant(result)
    assert result.outcome == "rescheduled"
    appt = appointment(conn, world["appointment"]["id"])
    assert appt["status"] == "rescheduled" and appt["starts_at"] != world["appointment"]["starts_at"]
    local = appt["starts_at"].astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert local.hour < 12 and local.isocalendar()[1] == 11
    held = conn.execute("SELECT starts_at FROM slots WHERE appointment_id = %s", (appt["id"],)).fetchall()
    assert [r["starts_at"] for r in held] == [appt["starts_at"]]


def test_reschedule_rather_thursday_after_4_offers_at_most_three(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes", "I'd rather Thursday after 3", "yes the first one"]))
    offers = [line for line in agent_lines(result) if "Which" in line or "Would that work" in line]
    assert offers and offers[0].count(" at ") <= 3
    assert result.outcome == "rescheduled"
    appt = appointment(conn, world["appointment"]["id"])
    assert appt["starts_at"].astimezone(__import__("zoneinfo").ZoneInfo("America/New_York")).strftime("%A") \
        == "Thursday"


def test_cancel_checks_once_then_offers_rebook(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes it's me", "I need to cancel", "yes please", "no thanks"]))
    lines = " ".join(agent_lines(result))
    assert "double-check" in lines or "be sure" in lines
    assert "new time" in lines or "another time" in lines
    assert result.outcome == "cancelled"
    assert appointment(conn, world["appointment"]["id"])["status"] == "cancelled"
    assert conn.execute("SELECT count(*) AS n FROM slots WHERE appointment_id = %s",
                        (world["appointment"]["id"],)).fetchone()["n"] == 0


def test_cancel_then_rebook(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes", "cancel it", "yes", "yes please", "next tuesday afternoon", "the first"]))
    assert result.outcome == "rescheduled"
    assert appointment(conn, world["appointment"]["id"])["status"] == "rescheduled"


def test_not_patient_leaves_message_only(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["no this is her husband"]))
    _compliant(result)
    assert result.outcome == "not_patient"
    text = " ".join(agent_lines(result))
    assert "call" in text and "2 1 2" in text
    assert appointment(conn, world["appointment"]["id"])["status"] == "pending"


def test_wrong_number_goes_on_dnc(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["you have the wrong number"]))
    assert result.outcome == "wrong_number"
    conn.rollback()
    row = conn.execute("SELECT source FROM dnc WHERE phone = %s", (world["attempt"]["phone"],)).fetchone()
    assert row["source"] == "wrong_number"


def test_bare_no_then_does_not_know_patient_is_wrong_number(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["no", "nope never heard of her"]))
    assert result.outcome == "wrong_number"


def test_stop_calling_me(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["stop calling me"]))
    _compliant(result)
    assert result.outcome == "opted_out"
    conn.rollback()
    assert conn.execute("SELECT source FROM dnc WHERE phone = %s",
                        (world["attempt"]["phone"],)).fetchone()["source"] == "patient_request"
    assert appointment(conn, world["appointment"]["id"])["status"] == "staff_followup"


def test_question_answered_from_facts_then_confirm(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes", "where do I park", "great, yes I'll be there"]))
    assert "Oak Avenue" in " ".join(agent_lines(result))
    assert result.outcome == "confirmed"


def test_unknown_question_offers_transfer_never_invents(world, run_call, conn, standin):
    result = run_call(ScriptedFarEnd(["yes", "does the doctor speak portuguese", "yes please"]))
    text = " ".join(agent_lines(result))
    assert "don't have that information" in text
    assert result.outcome == "transferred"
    transfers = standin.calls_to("TransferSIPParticipant")
    assert len(transfers) == 1


def test_callback_later_with_time(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes", "I'm driving can you call me back in an hour"]))
    assert result.outcome == "callback_requested"
    appt = appointment(conn, world["appointment"]["id"])
    assert appt["callback_at"] == NOW + timedelta(hours=1)
    assert appt["next_attempt_at"] == appt["callback_at"]  # the dialer's retry policy honours the time asked


def test_asks_for_a_person_cold_transfer(world, run_call, conn, standin):
    result = run_call(ScriptedFarEnd(["can I talk to a real person"]))
    assert result.outcome == "transferred"
    req = standin.calls_to("TransferSIPParticipant")[0]
    assert "+12125550101" in str(req.as_json())


def test_silence_then_polite_close(world, run_call, conn):
    from agent.far_end import Turn

    result = run_call(ScriptedFarEnd([Turn(), Turn(), Turn()]))
    assert result.outcome == "no_answer"
    assert "try you again" in agent_lines(result)[-1]
    assert appointment(conn, world["appointment"]["id"])["status"] == "pending"


def test_unclear_progressive_clarification(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes", "banana", "purple monkey", "the weather is nice"]))
    lines = agent_lines(result)
    assert any("press 1" in line for line in lines[2:])
    assert result.outcome == "hung_up"


def test_hang_up_mid_call(world, run_call, conn):
    result = run_call(ScriptedFarEnd(["yes"]))
    assert result.outcome == "hung_up"
    assert attempt(conn, world["attempt"]["id"])["status"] == "ended"


def test_voicemail_has_no_details(world, run_call, conn):
    far = ScriptedFarEnd([], greeting="Hi, you've reached Maria. I can't take your call right now, please leave "
                                      "a message after the tone.")
    result = run_call(far)
    assert result.amd_category == "machine-vm"
    assert result.outcome == "voicemail_left"
    vm = agent_lines(result)[-1]
    assert "Sunrise Family Medicine" in vm and "2 1 2" in vm
    for detail in ("March", "Wednesday", "Patel", "9:15", "appointment on"):
        assert detail not in vm
    assert len(vm.split()) / 2.5 < 30
    assert appointment(conn, world["appointment"]["id"])["voicemail_left"] is True


def test_opt_out_settles_even_if_the_call_is_then_reaped_as_lost(world, conn):
    """The DNC entry and the appointment's settled state are one transaction: a reaper marking the call
    `lost` before the agent writes its end must not leave an appointment pending behind a DNC'd number."""
    from agent import call_actions
    from agent.call_context import load_call
    from clinic.outcomes import finish_attempt

    call = load_call(conn, world["attempt"]["id"])
    conn.rollback()
    call_actions.add_to_dnc(call, "patient_request")
    finish_attempt(conn, world["attempt"]["id"], "lost", now=NOW + timedelta(minutes=30))
    conn.commit()
    appt = appointment(conn, world["appointment"]["id"])
    assert appt["status"] == "staff_followup" and appt["next_attempt_at"] is None


def _offer_then(turns):
    return ScriptedFarEnd(["yes", "I can't make it", "any morning next week", *turns])


def _after_offer(result):
    lines = agent_lines(result)
    first = next(i for i, line in enumerate(lines) if "Which would you like" in line or "Which works best" in line)
    return lines[first + 1:]


def test_non_answers_to_offered_times_reask_once_then_callback(world, run_call, conn):
    result = run_call(_offer_then(["Okay.", "hmm", "Okay."]))
    reask, callback_offer, *_ = _after_offer(result)
    assert "Monday the 9th at 9" in reask and "the first" in reask
    assert "call you back" in callback_offer and "Which" not in callback_offer
    assert result.outcome == "callback_requested"
    appt = appointment(conn, world["appointment"]["id"])
    assert appt["starts_at"] == world["appointment"]["starts_at"] and appt["status"] == "pending"


def test_non_answers_then_declined_callback_closes_without_changes(world, run_call, conn):
    result = run_call(_offer_then(["hmm", "okay", "no", "hello?"]))
    after = _after_offer(result)
    assert len(after) == 3 and sum("which one" in line.lower() for line in after) == 1
    assert "leave your appointment as it is" in after[-1] and "Goodbye" in after[-1]
    assert result.outcome == "hung_up"   # no decision: the retry policy decides, the appointment is untouched
    appt = appointment(conn, world["appointment"]["id"])
    assert appt["starts_at"] == world["appointment"]["starts_at"] and appt["status"] == "pending"
    assert "picked none" in attempt(conn, world["attempt"]["id"])["summary"]


def test_reask_still_accepts_a_choice(world, run_call, conn):
    result = run_call(_offer_then(["okay", "the second one"]))
    assert result.outcome == "rescheduled"


def test_a_question_nobody_can_answer_then_i_ll_be_there_confirms(world, run_call, conn, standin):
    """Offered the front desk for an unknown question, the patient says "that's fine, I'll be there": that
    confirms the appointment (it transferred the call), while a bare "yes" would still take the offer."""
    result = run_call(ScriptedFarEnd(["yes this is maria", "does the doctor speak portuguese",
                                      "That's fine. I'll be there."]))
    assert result.outcome == "confirmed"
    assert appointment(conn, world["appointment"]["id"])["status"] == "confirmed"
