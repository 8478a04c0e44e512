"""What has happened on this call so far: the facts the tools decide on and the outcome recorded at the end."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

EndAction = Literal["hangup", "transfer"]


@dataclass
class CallState:
    identity_confirmed: bool = False
    outcome: str | None = None          # the decisive outcome so far (last decision wins)
    offered: list[dict[str, Any]] = field(default_factory=list)   # slots offered in the last search
    offered_ids: set[int] = field(default_factory=set)
    end_action: EndAction | None = None  # set by a terminal tool; done after the goodbye plays
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    end_reason: str | None = None
    transfer_error: str | None = None
    unclear_streak: int = 0
    last_patient_text: str = ""      # the latest patient turn, for confirm_identity's own check

    def decide(self, outcome: str) -> None:
        self.outcome = outcome

    def close_after_reply(self, action: EndAction = "hangup") -> None:
        self.end_action = action
