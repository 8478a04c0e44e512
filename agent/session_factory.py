"""The one place an `AgentSession` is built, so production, sim mode and tests differ only in parts.

Production: Deepgram phone-call STT and OpenAI TTS (or the local speech server: `agent.speech_backends`),
the OpenAI-compatible LLM (model/base_url from settings) chained with the scripted policy through
`llm.FallbackAdapter`, Silero VAD (from prewarm) and the local turn detector. Tests and sim mode pass
`SessionParts` with the scripted brain and no audio."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livekit.agents import AgentSession, llm

from agent.call_context import CallInfo
from agent.scripted_llm import ReceptionistPolicy, ScriptedLLM
from agent.speech import say_phone
from agent.speech_backends import speech_parts
from clinic.settings import get_settings


@dataclass
class SessionParts:
    stt: Any = None
    llm: Any = None
    tts: Any = None
    vad: Any = None
    turn_detection: Any = None


def scripted_brain(call: CallInfo) -> ScriptedLLM:
    return ScriptedLLM(ReceptionistPolicy(first_name=call.first_name, clinic_name=call.clinic_name,
                                          callback_phone=say_phone(call.callback_number or ""), seed=call.attempt_id,
                                          tz=call.clinic_tz))


def brains(call: CallInfo, primary: llm.LLM | None = None) -> llm.LLM:
    """Primary model first, scripted policy behind it: an outage mid-call continues on the script."""
    settings = get_settings()
    scripted = scripted_brain(call)
    if primary is None:
        if settings.openai_api_key is None:
            return scripted
        from livekit.plugins import openai

        primary = openai.LLM(model=settings.openai_model, base_url=settings.openai_base_url,
                             api_key=settings.openai_api_key.get_secret_value())
    # retry_on_chunk_sent: a model that dies after its first words (connection dropped mid-stream) hands the
    # turn to the script too; without it the turn fails (a text-mode call ended `failed`, a phone call went
    # silent). The patient may hear the cut-off words and then the script's whole reply.
    return llm.FallbackAdapter([primary, scripted], attempt_timeout=settings.agent_llm_timeout_seconds,
                               max_retry_per_llm=0, retry_on_chunk_sent=True)


def production_parts(call: CallInfo, vad: Any) -> SessionParts:
    from livekit.agents.inference import TurnDetector

    speech = speech_parts(get_settings())   # SPEECH_BACKEND: cloud (Deepgram + OpenAI) or local server
    return SessionParts(
        stt=speech.stt,
        llm=brains(call),
        tts=speech.tts,
        vad=vad,
        turn_detection=TurnDetector(version="v1-mini"),
    )


def build_session(parts: SessionParts, *, userdata: Any = None) -> AgentSession[Any]:
    kwargs: dict[str, Any] = {"llm": parts.llm, "max_tool_steps": 4, "user_away_timeout": 8.0}
    if parts.stt is not None:
        kwargs["stt"] = parts.stt
    if parts.tts is not None:
        kwargs["tts"] = parts.tts
    kwargs["vad"] = parts.vad  # None = opt out (text mode)
    # Text mode has no VAD, so no turn detector either (turns are whole messages).
    kwargs["turn_handling"] = {"turn_detection": parts.turn_detection}
    if userdata is not None:
        kwargs["userdata"] = userdata
    return AgentSession(**kwargs)
