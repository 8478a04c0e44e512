"""The far end of a `sim`-mode call: the contract between the agent and the simulated phone network.

In `sip` mode the patient is audio in a LiveKit room. In `sim` mode the LiveKit stand-in answers
CreateSIPParticipant from the simulated phone network and hands the agent job a `FarEnd` that plays the
patient (or their answering machine) as text turns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class Turn:
    """What the far end does next: say something, press keys, stay silent, or hang up. `barge_in`: the far
    end started speaking before the agent's last line had finished (on a phone line the agent's speech is
    then cut off; LiveKit marks that line `interrupted`). `pause_s`: the far end takes this long to answer (a
    person thinking; typed turns otherwise arrive at once, faster than anyone speaks)."""

    text: str | None = None
    dtmf: str | None = None
    hang_up: bool = False
    barge_in: bool = False
    pause_s: float = 0.0

    @property
    def silent(self) -> bool:
        return self.text is None and self.dtmf is None and not self.hang_up


class FarEnd(Protocol):
    kind: Literal["person", "machine"]

    def first_words(self) -> Turn:
        """What is heard when the call is answered ("Hello?" or a voicemail greeting)."""
        ...

    def reply(self, agent_said: str) -> Turn:
        """The far end's answer to the agent's last utterance."""
        ...
