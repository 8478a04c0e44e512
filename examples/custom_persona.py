"""A custom simulated patient (persona) and one call with it.

    python examples/custom_persona.py

A persona is anything with the `agent.far_end.FarEnd` shape: `kind`, `first_words()` and
`reply(agent_said) -> Turn`. This one asks where to park before answering, then cancels and turns down
rebooking. `sim.personas.read_agent` turns the agent's sentence into cues, so the persona reacts to
meaning rather than exact wording (the agent's phrasing varies). Use personas like this to reproduce a
call pattern staff reported, then keep it as a test.
Reads DATABASE_URL from the settings (.env or the environment)."""

from __future__ import annotations

from typing import Literal

from simulated_call import NOW, place_simulated_call, prepare_attempt, print_stored_call

from agent.far_end import Turn
from clinic.clock import FixedClock, set_clock
from sim.personas import read_agent


class ParkingThenCancel:
    """Confirms who they are, asks about parking, then cancels and declines a new time."""

    kind: Literal["person", "machine"] = "person"

    def __init__(self, first_name: str) -> None:
        self.first_name = first_name
        self.asked_parking = False
        self.asked_cancel = False
        self.cancelled = False
        self.turns = 0

    def first_words(self) -> Turn:
        return Turn(text="Hello?")

    def reply(self, agent_said: str) -> Turn:
        self.turns += 1
        cues = read_agent(agent_said)
        if self.turns > 12:                                   # never loop forever
            return Turn(hang_up=True)
        if "goodbye" in cues and not ({"cancel_check", "rebook_offer", "identity_question"} & cues):
            return Turn(text="Okay, bye.")
        if "identity_question" in cues:
            return Turn(text=f"Yes, this is {self.first_name}.")
        if not self.asked_parking and ("appointment_statement" in cues or "asks_confirm" in cues):
            self.asked_parking = True
            return Turn(text="Before I answer, where do I park?")
        if "cancel_check" in cues:
            self.cancelled = True      # from here on, every offer is declined
            return Turn(text="Yes, please cancel it.")
        if self.cancelled or "rebook_offer" in cues or "anything_else" in cues:
            return Turn(text="No, thank you. That's all.")
        if not self.asked_cancel:
            self.asked_cancel = True
            return Turn(text="Thanks. Actually, I need to cancel that appointment, we're moving away.")
        return Turn(text="Okay.")


def main() -> int:
    set_clock(FixedClock(NOW))
    attempt_id, first_name = prepare_attempt("SFM-1001")
    persona = ParkingThenCancel(first_name)
    place_simulated_call(attempt_id, lambda phone: persona)
    row = print_stored_call(attempt_id)
    return 0 if row["outcome"] == "cancelled" else 1


if __name__ == "__main__":
    raise SystemExit(main())
