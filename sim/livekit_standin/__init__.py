"""A local stand-in for the LiveKit server API (Twirp), for tests and the demo.

The unmodified `livekit.api.LiveKitAPI` client talks to it; see `server.py` for what it implements.
"""

from sim.livekit_standin.phone_network import (
    ANSWER,
    BUSY,
    DECLINED,
    NO_ANSWER,
    TIMEOUT,
    TRUNK_FAILURE,
    DialResult,
    PhoneNetwork,
    ScriptedPhoneNetwork,
)
from sim.livekit_standin.server import DispatchHook, RecordedCall, Standin, StandinHandle, start_standin

__all__ = [
    "ANSWER", "BUSY", "DECLINED", "NO_ANSWER", "TIMEOUT", "TRUNK_FAILURE", "DialResult", "DispatchHook",
    "PhoneNetwork", "RecordedCall", "ScriptedPhoneNetwork", "Standin", "StandinHandle", "start_standin",
]
