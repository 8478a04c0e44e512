"""The simulated phone network behind the stand-in's CreateSIPParticipant: who answers, who is busy.

A phone-network hook is any callable `(CreateSIPParticipantRequest) -> DialResult` (or an awaitable of
one). The demo and the agent tests plug in patient personas; `ScriptedPhoneNetwork` covers the common
case of "these numbers fail with these SIP codes, everyone else answers".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from livekit.protocol.sip import CreateSIPParticipantRequest

# Reason phrases as carriers send them (RFC 3261 / 3326); the stand-in reports them as LiveKit does.
SIP_REASONS: dict[int, str] = {
    200: "OK",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    480: "Temporarily Unavailable",
    486: "Busy Here",
    487: "Request Terminated",
    500: "Server Internal Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    600: "Busy Everywhere",
    603: "Decline",
}


@dataclass(frozen=True)
class DialResult:
    """How one dial ends. `sip_status_code` 200 = answered; anything else fails the request the way
    LiveKit does (Twirp error with sip_status_code/sip_status metadata). `ring_seconds` is how long the
    phone rings before the answer or failure (the stand-in waits that long when wait_until_answered)."""

    sip_status_code: int = 200
    sip_status: str | None = None
    ring_seconds: float = 0.0

    @property
    def answered(self) -> bool:
        return self.sip_status_code == 200

    @property
    def reason(self) -> str:
        return self.sip_status or SIP_REASONS.get(self.sip_status_code, "Unknown")


ANSWER = DialResult(200)
BUSY = DialResult(486)
NO_ANSWER = DialResult(480)
TIMEOUT = DialResult(408)
DECLINED = DialResult(603)
TRUNK_FAILURE = DialResult(503)

PhoneNetwork = Callable[[CreateSIPParticipantRequest], "DialResult | Awaitable[DialResult]"]


class ScriptedPhoneNetwork:
    """Numbers (E.164) mapped to a result; every other number answers (`default`)."""

    def __init__(self, results: Mapping[str, DialResult | int] | None = None, default: DialResult = ANSWER) -> None:
        self.results: dict[str, DialResult] = {
            number: DialResult(r) if isinstance(r, int) else r for number, r in (results or {}).items()}
        self.default = default

    def __call__(self, request: CreateSIPParticipantRequest) -> DialResult:
        return self.results.get(request.sip_call_to, self.default)
