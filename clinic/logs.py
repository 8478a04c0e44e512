"""Structured logging. PHI never reaches INFO: phone numbers are masked in every event, and fields
named like PHI (names, transcripts) are dropped unless the level is DEBUG."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from clinic.phones import mask_in_text

_PHI_KEYS = {"patient_name", "full_name", "name", "transcript", "utterance", "text", "notes"}


def _redact(_: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
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


# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Loggers whose own records get the filter even when they are handled by handlers added after install
# (the livekit-agents CLI adds its handlers after our `main()` runs).
_FILTERED_LOGGERS = ("livekit", "livekit.agents", "livekit.plugins", "agent", "clinic", "dialer", "api", "sim")


class PhiLogFilter(logging.Filter):
    """Stdlib logging's PHI guard, for records that don't go through structlog (livekit-agents, plugins).

    livekit-agents marks PHI with attribute names starting `lk.pii` (AMD logs "amd prediction" at INFO
    with `extra={"lk.pii.transcript": ...}`): above DEBUG those attributes are removed, and phone numbers
    in the message, its arguments and string extras are masked. DEBUG records pass untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG:
            return True
        for key in [k for k in vars(record) if k.startswith("lk.pii")]:
            del record.__dict__[key]
        try:
            message = record.getMessage()
        except (TypeError, ValueError):   # a broken format string: leave it for the handler to report
            return True
        record.msg, record.args = mask_in_text(message), None
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRS and isinstance(value, str):
                record.__dict__[key] = mask_in_text(value)
        return True


def install_phi_filter() -> PhiLogFilter:
    """Put one PhiLogFilter on every root handler and on this project's and livekit's loggers.
    Idempotent; call it again after a framework adds handlers (the agent's prewarm does, in the job
    process, after livekit-agents installed its log-forwarding handler)."""
    targets: list[logging.Filterer] = [*logging.getLogger().handlers]
    targets += [logging.getLogger(name) for name in _FILTERED_LOGGERS]
    existing = next((f for t in targets for f in t.filters if isinstance(f, PhiLogFilter)), None)
    phi_filter = existing or PhiLogFilter()
    for target in targets:
        if not any(isinstance(f, PhiLogFilter) for f in target.filters):
            target.addFilter(phi_filter)
    return phi_filter


def configure(level: str = "INFO", json_output: bool = False) -> None:
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(message)s")
    install_phi_filter()
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
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
