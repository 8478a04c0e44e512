"""The local speech server through LiveKit's own OpenAI plugins, as the agent uses it."""

from __future__ import annotations

import re

import httpx
import numpy as np
import pytest
from livekit import rtc
from livekit.agents import APIStatusError
from livekit.plugins import openai

from agent.speech_backends import LOCAL_API_KEY, local_speech_parts, speech_parts
from clinic.settings import Settings
from sim.phone_audio import telephone


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


async def _speak(tts: openai.TTS, text: str) -> rtc.AudioFrame:
    frames = [ev.frame async for ev in tts.synthesize(text)]
    return rtc.combine_audio_frames(frames)


async def test_spoken_sentence_comes_back_as_the_same_words_over_a_phone_line(speech_server_url: str) -> None:
    parts = local_speech_parts(Settings(speech_backend="local", local_speech_url=speech_server_url))
    said = "I need to move my appointment to Thursday afternoon, please."
    audio = await _speak(parts.tts, said)
    assert audio.sample_rate == 24000
    seconds = audio.samples_per_channel / audio.sample_rate
    assert 2.0 < seconds < 8.0, seconds            # a sentence, not silence or a runaway

    line = telephone(np.frombuffer(audio.data, dtype=np.int16), audio.sample_rate, noise_db=25)
    heard = await parts.stt.recognize([rtc.AudioFrame(line.tobytes(), 8000, 1, len(line))])
    text = heard.alternatives[0].text
    overlap = len(_words(said) & _words(text)) / len(_words(said))
    assert overlap >= 0.7, text
    assert {"appointment", "thursday"} <= _words(text), text
    await parts.tts.aclose()


async def test_first_sentence_arrives_before_the_whole_reply_is_synthesised(speech_server_url: str) -> None:
    """pcm is streamed per sentence: the agent can start talking before a long reply is finished."""
    body = {"model": "piper", "voice": "joe", "response_format": "pcm",
            "input": "Thanks for waiting. I found three openings next week. The first is Tuesday at nine."}
    chunks: list[int] = []
    async with httpx.AsyncClient() as client, \
            client.stream("POST", f"{speech_server_url}/audio/speech", json=body, timeout=30) as resp:
        assert resp.headers["content-type"].startswith("audio/pcm")
        async for chunk in resp.aiter_raw():
            chunks.append(len(chunk))
    assert len(chunks) >= 3
    assert sum(chunks) % 2 == 0 and sum(chunks) / 2 / 24000 > 3.0


async def test_unsupported_format_is_refused_naming_the_field(speech_server_url: str) -> None:
    tts = openai.TTS(model="piper", voice="joe", base_url=speech_server_url, api_key=LOCAL_API_KEY)  # mp3
    with pytest.raises(APIStatusError) as err:
        await _speak(tts, "Hello.")
    assert err.value.status_code == 400 and "response_format" in str(err.value.body)
    await tts.aclose()


def test_undecodable_upload_is_a_400_naming_file(speech_server_url: str) -> None:
    resp = httpx.post(f"{speech_server_url}/audio/transcriptions", files={"file": ("x.wav", b"not audio")},
                      data={"model": "tiny.en"})
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "file"


def test_health_names_the_loaded_models(speech_server_url: str) -> None:
    health = httpx.get(speech_server_url.removesuffix("/v1") + "/health").json()
    assert health["status"] == "ok"
    assert health["stt"]["model"] == "tiny.en" and health["tts"]["voice"] == "joe"


def test_backend_setting_chooses_the_plugins() -> None:
    from livekit.plugins import deepgram

    cloud = speech_parts(Settings(speech_backend="cloud", deepgram_api_key="k", openai_api_key="k"))
    assert isinstance(cloud.stt, deepgram.STT) and isinstance(cloud.tts, openai.TTS)
    assert cloud.tts.model == "gpt-4o-mini-tts"
    local = speech_parts(Settings(speech_backend="local", local_speech_url="http://127.0.0.1:9/v1"))
    assert isinstance(local.stt, openai.STT) and not local.stt.capabilities.streaming
    assert local.tts._opts.response_format == "pcm"
    assert local.tts.provider == "127.0.0.1:9"


def test_cli_refuses_zero_workers_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from speech_server.__main__ import parse_args

    with pytest.raises(SystemExit) as exit_:
        parse_args(["--stt-workers", "0"])
    assert exit_.value.code != 0
    assert "--stt-workers" in capsys.readouterr().err
    assert parse_args(["--port", "8123"]).port == 8123
