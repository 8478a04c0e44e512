"""What a LiveKit webhook means for a call attempt: a pure function of the event, so the mapping is
tested without LiveKit. Rooms are named `call-<attempt id>` by the dialer and by test calls."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROOM = re.compile(r"^call-(\d{1,18})$")

# livekit.protocol.models.ParticipantInfo.Kind
KIND_STANDARD, KIND_INGRESS, KIND_EGRESS, KIND_SIP, KIND_AGENT = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Action:
    """`mark` moves an attempt forward to a status; `await_outcome` gives an attempt that has no outcome
    yet a short deadline, after which the reaper ends it `lost`."""

    attempt_id: int
    kind: str  # "mark" | "await_outcome"
    status: str | None = None


def attempt_id_for_room(room_name: str) -> int | None:
    m = _ROOM.match(room_name or "")
    return int(m.group(1)) if m else None


def plan(event: str, room_name: str, participant_kind: int | None = None,
         sip_call_status: str | None = None) -> Action | None:
    """The attempt change an event asks for, or None when it says nothing about a call's progress.

    - room_started: the agent's room exists -> dispatched.
    - participant_joined: the agent -> dispatched; a SIP participant -> dialing (in_call once its
      `sip.callStatus` is active); a browser tester (web mode) -> in_call, the tester is the callee.
    - room_finished: the call is over, but the agent's end-of-call write often lands after this webhook,
      so the attempt is not finished here: it gets a deadline (now + ROOM_FINISHED_GRACE_SECONDS) and the
      reaper ends it `lost` (retried) if the agent never writes. An attempt that already ended is untouched.
    """
    attempt_id = attempt_id_for_room(room_name)
    if attempt_id is None:
        return None
    if event == "room_started":
        return Action(attempt_id, "mark", status="dispatched")
    if event == "participant_joined":
        if participant_kind == KIND_AGENT:
            return Action(attempt_id, "mark", status="dispatched")
        if participant_kind == KIND_SIP:
            return Action(attempt_id, "mark", status="in_call" if sip_call_status == "active" else "dialing")
        if participant_kind == KIND_STANDARD:
            return Action(attempt_id, "mark", status="in_call")
        return None
    if event == "room_finished":
        return Action(attempt_id, "await_outcome")
    return None
