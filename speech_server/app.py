"""OpenAI-compatible speech endpoints over the local models, so the agent runs LiveKit's own
`openai.STT` / `openai.TTS` plugins unchanged, with only `base_url` pointing here.

- `POST /v1/audio/transcriptions` (multipart: file, model, language, prompt, response_format
  json | verbose_json | text, temperature) -> `{"text": ...}`; the plugin sends one WAV per user turn.
- `POST /v1/audio/speech` (JSON: model, input, voice, response_format pcm | wav, speed) -> audio. `pcm`
  is OpenAI's raw format (24 kHz, 16-bit LE, mono) and is streamed sentence by sentence, so the agent
  starts playing the first sentence while the rest is synthesised. Other formats get a 400 naming
  `response_format` (the plugin's default is mp3: the agent sets pcm).
- `GET /health` -> loaded models; `GET /v1/models`.

CPU-bound work runs in bounded thread pools (one per model): a burst of calls queues here instead of
starving the agent's own audio loop. Transcripts are never logged above DEBUG."""

from __future__ import annotations

import asyncio
import io
import logging
import time
import uuid
import wave
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from speech_server.engines import OPENAI_PCM_RATE, PiperEngine, Resampler, WhisperEngine

log = logging.getLogger("speech_server")
MAX_UPLOAD_BYTES = 25 * 1024 * 1024    # OpenAI's own limit; a 10-minute 16 kHz WAV is ~19 MB
SUPPORTED_SPEECH_FORMATS = ("pcm", "wav")


class SpeechRequest(BaseModel):
    model: str = "piper"
    input: str = Field(min_length=1, max_length=4096)
    voice: str = "joe"
    response_format: str = "mp3"
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    instructions: str | None = None      # accepted and ignored: Piper has no style prompt
    stream_format: str | None = None     # OpenAI extension; we always answer with raw audio bytes


class SpeechError(Exception):
    def __init__(self, message: str, param: str, status: int = 400) -> None:
        super().__init__(message)
        self.param = param
        self.status = status


def _error(message: str, param: str | None, status: int) -> JSONResponse:
    """OpenAI's error body, so the openai client surfaces the message and the field."""
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error", "param": param,
                                   "code": None}}, status_code=status)


def create_app(stt: WhisperEngine, tts: PiperEngine, *, stt_workers: int = 2, tts_workers: int = 2) -> FastAPI:
    stt_pool = ThreadPoolExecutor(max_workers=stt_workers, thread_name_prefix="stt")
    tts_pool = ThreadPoolExecutor(max_workers=tts_workers, thread_name_prefix="tts")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        stt_pool.shutdown(wait=False, cancel_futures=True)
        tts_pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="Local speech (OpenAI-compatible)", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.stt, app.state.tts = stt, tts

    @app.middleware("http")
    async def _request_id(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["x-request-id"] = f"local-{uuid.uuid4().hex[:16]}"   # the plugins log/trace by it
        return response

    @app.exception_handler(SpeechError)
    async def _speech_error(_: Request, exc: SpeechError) -> JSONResponse:
        return _error(str(exc), exc.param, exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
        return _error(f"{field or 'request'}: {first.get('msg')}", field or None, 400)

    @app.get("/health")
    async def health() -> dict[str, object]:
        return {"status": "ok", "stt": {"model": stt.model_name, "workers": stt_workers},
                "tts": {"voice": tts.voice_name, "sample_rate": tts.sample_rate, "workers": tts_workers}}

    @app.get("/v1/models")
    async def models() -> dict[str, object]:
        return {"object": "list", "data": [{"id": stt.model_name, "object": "model", "owned_by": "local"},
                                           {"id": "piper", "object": "model", "owned_by": "local"}]}

    @app.post("/v1/audio/transcriptions", response_model=None)
    async def transcriptions(
        file: Annotated[UploadFile, File()],
        model: Annotated[str, Form()] = "tiny.en",
        language: Annotated[str | None, Form()] = None,
        prompt: Annotated[str | None, Form()] = None,
        response_format: Annotated[Literal["json", "verbose_json", "text"], Form()] = "json",
        temperature: Annotated[float, Form(ge=0.0, le=1.0)] = 0.0,
    ) -> Response | dict[str, object]:
        audio = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(audio) > MAX_UPLOAD_BYTES:
            raise SpeechError(f"file: larger than {MAX_UPLOAD_BYTES} bytes", "file", 413)
        if not audio:
            raise SpeechError("file: empty upload", "file")
        started = time.perf_counter()
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                stt_pool, lambda: stt.transcribe(audio, language=language, prompt=prompt, temperature=temperature))
        except Exception as exc:   # PyAV raises its own error types for undecodable input
            log.info("transcription failed: %s", type(exc).__name__)
            raise SpeechError("file: could not decode audio (send WAV, 8-48 kHz)", "file") from exc
        log.debug("transcribed %.2fs of audio in %.3fs: %r", result.duration, time.perf_counter() - started,
                  result.text)
        if response_format == "text":
            return PlainTextResponse(result.text)
        if response_format == "verbose_json":
            return {"task": "transcribe", "language": result.language, "duration": result.duration,
                    "text": result.text, "segments": []}
        return {"text": result.text}

    @app.post("/v1/audio/speech")
    async def speech(body: SpeechRequest) -> Response:
        fmt = body.response_format.lower()
        if fmt not in SUPPORTED_SPEECH_FORMATS:
            raise SpeechError(f"response_format: {body.response_format!r} is not supported here; use one of "
                              f"{', '.join(SUPPORTED_SPEECH_FORMATS)}", "response_format")
        loop = asyncio.get_running_loop()
        sentences = tts.sentences(body.input, speed=body.speed)
        resampler = Resampler(tts.sample_rate, OPENAI_PCM_RATE)

        def next_chunk() -> bytes | None:
            for samples in sentences:
                return resampler.push(samples)
            tail = resampler.flush()
            return tail or None

        if fmt == "pcm":
            async def stream() -> AsyncIterator[bytes]:
                while (chunk := await loop.run_in_executor(tts_pool, next_chunk)) is not None:
                    if chunk:
                        yield chunk

            return StreamingResponse(stream(), media_type="audio/pcm",
                                     headers={"x-sample-rate": str(OPENAI_PCM_RATE)})

        def whole() -> bytes:
            pcm = bytearray()
            while (chunk := next_chunk()) is not None:
                pcm += chunk
            out = io.BytesIO()
            with wave.open(out, "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(OPENAI_PCM_RATE)
                w.writeframes(bytes(pcm))
            return out.getvalue()

        return Response(await loop.run_in_executor(tts_pool, whole), media_type="audio/wav")

    return app
