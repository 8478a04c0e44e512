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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
