"""An LLM plays a persona (optional): less predictable patients for rehearsals, when a key is configured.

The scripted persona stays underneath: it tracks the goal, and it answers whenever the model cannot
(no key, network error, empty reply), so a run never stalls on the simulator itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from agent.far_end import Turn
from clinic.settings import get_settings

if TYPE_CHECKING:
    from sim.personas import PersonaSpec, ScriptedPerson

HANG_UP_TOKEN = "[HANG UP]"


def llm_available() -> bool:
    return get_settings().openai_api_key is not None


def _system_prompt(spec: PersonaSpec, first_name: str) -> str:
    who = f"named {first_name}" if first_name else ""
    return (
        f"You are role-playing a person {who} answering a phone call from a clinic's automated assistant. "
        f"Your role: {spec.description}. Stay in this role until the call ends. Speak like a real person on "
        "the phone: short, casual, one or two sentences, sometimes lowercase without punctuation. Never "
        "describe actions. If the role requires hanging up or the call is over, reply with exactly "
        f"{HANG_UP_TOKEN}."
    )


class LLMPerson:
    """A FarEnd whose words come from an OpenAI-compatible chat model."""

    kind: Literal["person", "machine"] = "person"

    def __init__(self, spec: PersonaSpec, scripted: ScriptedPerson, *, first_name: str = "",
                 client: Any | None = None) -> None:
        self.spec = spec
        self.scripted = scripted
        self.persona = spec.name
        self._messages: list[dict[str, str]] = [{"role": "system", "content": _system_prompt(spec, first_name)}]
        self._client = client

    def _chat(self) -> str | None:
        settings = get_settings()
        try:
            if self._client is None:
                from openai import OpenAI

                key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
                self._client = OpenAI(api_key=key, base_url=settings.openai_base_url, timeout=15)
            resp = self._client.chat.completions.create(model=settings.openai_model, messages=self._messages,
                                                        temperature=0.9, max_tokens=80)
            text = (resp.choices[0].message.content or "").strip()
            return text or None
        except Exception:  # the simulator must not stall the run: fall back to the scripted persona
            return None

    def first_words(self) -> Turn:
        turn = self.scripted.first_words()
        self._messages.append({"role": "assistant", "content": turn.text or ""})
        return turn

    def reply(self, agent_said: str) -> Turn:
        scripted = self.scripted.reply(agent_said)   # keeps the goal state moving, and is the fallback
        self._messages.append({"role": "user", "content": agent_said})
        text = self._chat()
        if text is None:
            turn = scripted
        elif HANG_UP_TOKEN in text:
            turn = Turn(hang_up=True)
        else:
            turn = Turn(text=text)
        self._messages.append({"role": "assistant", "content": turn.text or HANG_UP_TOKEN})
        return turn
