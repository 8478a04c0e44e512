"""Placing the outbound call through LiveKit SIP and reading its failures as call outcomes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from google.protobuf.duration_pb2 import Duration
from livekit import api

from agent.call_context import CallInfo
from clinic.phones import mask

log = logging.getLogger("agent.dialing")

PATIENT_IDENTITY = "patient"


@dataclass(frozen=True)
class DialResult:
    answered: bool
    outcome: str | None = None         # set when not answered
    sip_status_code: int | None = None
    sip_status: str | None = None
    sip_call_id: str | None = None
    error: str | None = None


def outcome_for_sip_status(code: int | None) -> str:
    """SIP final response -> outcome. 486/600 busy; 408/480/487 no answer; 403/603 rejected; rest failed."""
    if code in (486, 600):
        return "busy"
    if code in (408, 480, 487):
        return "no_answer"
    if code in (403, 603, 607, 608):
        return "rejected"
    return "failed"


def sip_request(call: CallInfo, room_name: str) -> api.CreateSIPParticipantRequest:
    clinic = call.clinic
    if not clinic.sip_trunk_id:
        raise ValueError(f"clinic {clinic.slug} has no sip_trunk_id: set it before calling")
    return api.CreateSIPParticipantRequest(
        sip_trunk_id=clinic.sip_trunk_id,
        sip_call_to=call.phone,
        sip_number=clinic.caller_id or "",
        room_name=room_name,
        participant_identity=PATIENT_IDENTITY,
        participant_name="Patient",
        wait_until_answered=True,
        ringing_timeout=Duration(seconds=clinic.ring_timeout_seconds),
        max_call_duration=Duration(seconds=clinic.max_call_seconds),
        krisp_enabled=True,
    )


async def dial(lkapi: api.LiveKitAPI, call: CallInfo, room_name: str) -> DialResult:
    """CreateSIPParticipant(wait_until_answered=True): returns when answered, or the failure's outcome."""
    try:
        info = await lkapi.sip.create_sip_participant(sip_request(call, room_name))
    except api.SipCallError as exc:
        code = exc.sip_status_code
        outcome = outcome_for_sip_status(code)
        log.info("dial ended without answer", extra={"attempt_id": call.attempt_id, "to": mask(call.phone),
                                                      "outcome": outcome, "sip_status_code": code})
        return DialResult(answered=False, outcome=outcome, sip_status_code=code, sip_status=exc.sip_status,
                          error=str(exc)[:300])
    except api.ServerError as exc:  # not a SIP answer (trunk missing, quota): the call failed
        log.warning("dial failed", extra={"attempt_id": call.attempt_id, "error": type(exc).__name__})
        return DialResult(answered=False, outcome="failed", error=str(exc)[:300])
    return DialResult(answered=True, sip_call_id=getattr(info, "sip_call_id", None) or None)


# How long a transfer whose result LiveKit lost may take to show itself: the far end leaves once the new call is
# answered (a front desk picks up within a few rings).
TRANSFER_SETTLE_SECONDS = 20.0


def transfer_result_unknown(exc: api.ServerError) -> bool:
    """A failed TransferSIPParticipant whose REFER got no SIP answer we know of (the transaction ended or timed
    out), as opposed to one the far end refused with a SIP status (4xx-6xx), which certainly did not transfer."""
    refused = isinstance(exc, api.SipCallError) and exc.sip_status_code is not None
    return not refused and exc.code in ("canceled", "deadline_exceeded")


async def transfer(lkapi: api.LiveKitAPI, room_name: str, to_e164: str) -> None:
    """Cold transfer via SIP REFER to the clinic's front desk."""
    await lkapi.sip.transfer_sip_participant(api.TransferSIPParticipantRequest(
        room_name=room_name, participant_identity=PATIENT_IDENTITY, transfer_to=f"tel:{to_e164}",
        play_dialtone=False))
