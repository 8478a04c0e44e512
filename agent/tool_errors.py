"""Typed tool errors: a closed set of codes that the tools raise and the scripted policy switches on.

The error reaches every brain as the function-call output text (livekit puts `ToolError.message` there);
it is a small JSON object `{"error": <code>, "message": <what to do next>}`, so the cloud model reads the
instruction and the scripted policy reads the code instead of matching words in English sentences."""

from __future__ import annotations

import json
from typing import Any, Literal, get_args

from livekit.agents import ToolError

ToolErrorCode = Literal["identity_required", "identity_not_affirmed", "identity_question_not_heard",
                        "no_such_option", "slot_taken", "no_front_desk"]
CODES: frozenset[str] = frozenset(get_args(ToolErrorCode))


def tool_error(code: ToolErrorCode, message: str) -> ToolError:
    """The exception a tool raises: the model sees the code and the instruction."""
    return ToolError(json.dumps({"error": code, "message": message}))


def error_code(output: Any) -> ToolErrorCode | None:
    """The code of a tool's error output (parsed dict or raw text); None for an untyped error (a crash)."""
    if isinstance(output, str):
        try:
            output = json.loads(output)
        except ValueError:
            return None
    code = output.get("error") if isinstance(output, dict) else None
    return code if code in CODES else None
