"""Which speech the agent hears and speaks with: the cloud vendors, or this project's local server.

`SPEECH_BACKEND=cloud` (default): Deepgram's phone-call model for STT and OpenAI TTS, exactly what
production has always used. `SPEECH_BACKEND=local`: the same LiveKit OpenAI plugins production code
already imports, pointed (`base_url`) at `python -m speech_server` (Whisper tiny.en + Piper), so a clinic
that keeps every recording on its own machines runs with no speech vendor and no new plugin code.

The local STT is the plugin's non-streaming (HTTP) mode: the session wraps it in LiveKit's
`stt.StreamAdapter`, which cuts turns with the session's Silero VAD and sends one WAV per turn. The TTS
asks for `pcm` (raw 24 kHz), which the server streams sentence by sentence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic.settings import Settings, get_settings

# The local server ignores the key; the openai client insists on having one.
LOCAL_API_KEY = "local-speech"


@dataclass(frozen=True)
class SpeechParts:
    stt: Any
    tts: Any


def cloud_speech_parts(settings: Settings) -> SpeechParts:
    """Deepgram STT + OpenAI TTS (keys from settings; the plugins read the environment when unset)."""
    from livekit.agents import NOT_GIVEN
    from livekit.plugins import deepgram, openai

    # NOT_GIVEN, not None, when unset: the plugins treat None as a given (empty) key and then refuse it.
    return SpeechParts(
        stt=deepgram.STT(model=settings.deepgram_model, api_key=(
            settings.deepgram_api_key.get_secret_value() if settings.deepgram_api_key else NOT_GIVEN)),
        tts=openai.TTS(model=settings.openai_tts_model, voice=settings.openai_tts_voice, api_key=(
            settings.openai_api_key.get_secret_value() if settings.openai_api_key else NOT_GIVEN)),
    )


def local_speech_parts(settings: Settings) -> SpeechParts:
    """LiveKit's own `openai.STT`/`openai.TTS` talking to the local speech server."""
    from livekit.plugins import openai

    return SpeechParts(
        stt=openai.STT(model=settings.local_stt_model, language="en", base_url=settings.local_speech_url,
                       api_key=LOCAL_API_KEY, use_realtime=False),
        tts=openai.TTS(model="piper", voice=settings.local_tts_voice, base_url=settings.local_speech_url,
                       api_key=LOCAL_API_KEY, response_format="pcm"),
    )


def speech_parts(settings: Settings | None = None) -> SpeechParts:
    """The STT and TTS `SPEECH_BACKEND` asks for."""
    settings = settings or get_settings()
    if settings.speech_backend == "local":
        return local_speech_parts(settings)
    return cloud_speech_parts(settings)
