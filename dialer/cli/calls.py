"""`python -m dialer calls show ATTEMPT_ID`: read what was said on one call.

Staff open this when an outcome looks wrong ("why is this one staff_followup?"); it prints the attempt's
facts and the conversation stored in `call_attempts.transcript` by the agent. The transcript's items are
read tolerantly (`role`/`speaker`, `text`/`content`, tool calls as `type: tool_call`), so older and newer
agent versions stay readable. This prints PHI to the operator's terminal on purpose; it never logs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from clinic.db import connect
from dialer.cli.output import JsonOpt, console, emit, fail

calls_app = typer.Typer(help="Read call attempts and their transcripts.", no_args_is_help=True)

_SPEAKERS = {"assistant": "agent", "agent": "agent", "user": "patient", "patient": "patient", "far_end": "patient",
             "machine": "machine", "system": "system"}

_ATTEMPT_SQL = """
SELECT ca.id, ca.attempt_number, ca.mode, ca.status, ca.outcome, ca.room_name, ca.sip_status_code, ca.sip_status,
       ca.error, ca.planned_at, ca.dial_started_at, ca.answered_at, ca.ended_at, ca.duration_seconds,
       ca.transcript, ca.summary, ca.usage, ca.cost_usd, ca.phone,
       a.external_id, a.status AS appointment_status, a.starts_at, c.slug AS clinic, c.timezone
FROM call_attempts ca
JOIN appointments a ON a.id = ca.appointment_id
JOIN clinics c ON c.id = ca.clinic_id
WHERE ca.id = %s
"""


def transcript_items(transcript: Any) -> list[dict[str, Any]]:
    """The stored transcript as a list of items, whatever shape the agent stored it in."""
    if transcript is None:
        return []
    if isinstance(transcript, dict):
        for key in ("items", "turns", "transcript", "messages"):
            if isinstance(transcript.get(key), list):
                return [i for i in transcript[key] if isinstance(i, dict)]
        return []
    if isinstance(transcript, list):
        return [i for i in transcript if isinstance(i, dict)]
    return []


def render_item(item: dict[str, Any]) -> str:
    """One transcript item as a line a person reads: `[12.4s] agent: ...` or `[13.0s] tool book_slot -> ok`."""
    at = item.get("t", item.get("at", item.get("offset", item.get("timestamp"))))
    stamp = ""
    if isinstance(at, int | float):
        stamp = f"[{at:6.1f}s] "
    elif isinstance(at, str) and at:
        stamp = f"[{at[11:19] if len(at) >= 19 else at}] "
    kind = item.get("type") or item.get("kind") or ""
    if kind in ("tool_call", "function_call", "tool") or "tool" in item or ("name" in item and "arguments" in item):
        name = item.get("name") or item.get("tool") or "?"
        args = item.get("arguments", item.get("args"))
        result = item.get("result", item.get("output", item.get("status")))
        tail = f" -> {result}" if result not in (None, "") else ""
        return f"{stamp}  ⚙ {name}({_short(args)}){tail}"
    speaker = _SPEAKERS.get(str(item.get("role") or item.get("speaker") or "").lower(), item.get("role") or "?")
    text = item.get("text", item.get("content"))
    if isinstance(text, list):
        text = " ".join(str(t) for t in text)
    if item.get("dtmf"):
        text = f"[keypad {item['dtmf']}]"
    if item.get("hang_up") or kind == "hang_up":
        text = (text + " " if text else "") + "[hangs up]"
    return f"{stamp}{speaker}: {text if text not in (None, '') else '[silence]'}"


def _short(value: Any, limit: int = 80) -> str:
    if value in (None, "", {}):
        return ""
    text = value if isinstance(value, str) else ", ".join(f"{k}={v}" for k, v in value.items()) \
        if isinstance(value, dict) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt_time(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


def _print_attempt(row: dict[str, Any]) -> None:
    console.print(f"[bold]attempt {row['id']}[/bold]  appointment {row['external_id']} ({row['clinic']}) "
                  f"attempt #{row['attempt_number']}, mode {row['mode']}")
    console.print(f"outcome [bold]{row['outcome'] or 'in flight (' + row['status'] + ')'}[/bold]; "
                  f"appointment now {row['appointment_status']}")
    sip = f"SIP {row['sip_status_code']} {row['sip_status'] or ''}".strip() if row["sip_status_code"] else ""
    duration = f"{float(row['duration_seconds']):.1f}s" if row["duration_seconds"] is not None else "-"
    cost = f"${float(row['cost_usd']):.4f}" if row["cost_usd"] is not None else "-"
    console.print(f"dialed {_fmt_time(row['dial_started_at'])}  answered {_fmt_time(row['answered_at'])}  "
                  f"ended {_fmt_time(row['ended_at'])}  duration {duration}  cost {cost}  {sip}")
    if row["error"]:
        console.print(f"[red]error:[/red] {row['error']}")
    if row["summary"]:
        console.print(f"summary: {row['summary']}")
    items = transcript_items(row["transcript"])
    if not items:
        console.print("[dim](no conversation: the call was not answered or the transcript is not stored yet)[/dim]")
        return
    console.rule("conversation")
    for item in items:
        console.print(render_item(item), markup=False, highlight=False)


@calls_app.command("show")
def show(attempt_id: int = typer.Argument(..., help="call_attempts.id (as shown by the demo and the dashboard)"),
         as_json: bool = JsonOpt) -> None:
    """Print one call attempt and its conversation."""
    with connect() as conn:
        row = conn.execute(_ATTEMPT_SQL, (attempt_id,)).fetchone()
    if row is None:
        fail(f"no call attempt with id {attempt_id} (list recent ones in the dashboard or with --json output "
             "of `python -m sim run`)", as_json)
    row = dict(row)
    row["transcript"] = transcript_items(row["transcript"]) if as_json else row["transcript"]
    emit(row, as_json, _print_attempt)
