"""Structured logging. PHI never reaches INFO: phone numbers are masked in every event, and fields
named like PHI (names, transcripts) are dropped unless the level is DEBUG."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from clinic.phones import mask_in_text

_PHI_KEYS = {"patient_name", "full_name", "name", "transcript", "utterance", "text", "notes"}


def _redact(_: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in list(event.items()):
        if key in _PHI_KEYS and method != "debug":
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = mask_in_text(value)
    return event


class _StderrAtWriteTime:
    """Writes to whatever `sys.stderr` is when the line is logged, not when logging was configured,
    so a CLI run under a test runner (or a daemon that swaps its streams) never writes to a closed file."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def configure(level: str = "INFO", json_output: bool = False) -> None:
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=lambda *_: _StderrAtWriteTime(),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
