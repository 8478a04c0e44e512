"""`python -m speech_server --host 127.0.0.1 --port 8090`: load Whisper and Piper once, then serve the
OpenAI-compatible speech API with uvicorn (defaults from SPEECH_SERVER_* settings)."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from clinic.logs import configure
from clinic.settings import get_settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    s = get_settings()
    p = argparse.ArgumentParser(prog="python -m speech_server",
                                description="Local OpenAI-compatible speech server: POST /v1/audio/transcriptions "
                                            "(Whisper tiny.en) and /v1/audio/speech (Piper), GET /health.")
    p.add_argument("--host", default=s.speech_server_host, help="interface to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=s.speech_server_port, help="port (default %(default)s)")
    p.add_argument("--stt-workers", type=int, default=s.speech_server_stt_workers,
                   help="transcriptions run at once, one core each (default %(default)s)")
    p.add_argument("--tts-workers", type=int, default=s.speech_server_tts_workers,
                   help="syntheses run at once (default %(default)s)")
    p.add_argument("--log-level", default=s.log_level, help="default %(default)s; DEBUG logs transcripts (PHI)")
    args = p.parse_args(argv)
    for name in ("stt_workers", "tts_workers"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')}: must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from speech_server.app import create_app
    from speech_server.engines import PiperEngine, WhisperEngine

    args = parse_args(argv)
    settings = get_settings()
    configure(args.log_level, settings.log_json)
    log = logging.getLogger("speech_server")
    started = time.perf_counter()
    try:
        stt = WhisperEngine(workers=args.stt_workers, model_name=settings.local_stt_model)
        tts = PiperEngine(voice_name=settings.local_tts_voice)
    except (ImportError, OSError, RuntimeError) as exc:
        print(f"error: could not load the speech models: {exc}", file=sys.stderr)
        return 1
    log.info("speech models loaded in %.1fs", time.perf_counter() - started)
    app = create_app(stt, tts, stt_workers=args.stt_workers, tts_workers=args.tts_workers)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level.lower())
    return 0


if __name__ == "__main__":
    sys.exit(main())
