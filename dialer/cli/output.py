"""One way to print a command's result: a JSON object with `--json`, a readable table otherwise."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clinic import clinics

console = Console()
err_console = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=_default, ensure_ascii=False)


def emit(obj: Any, as_json: bool, human: Callable[[Any], object]) -> None:
    if as_json:
        sys.stdout.write(dumps(obj) + "\n")
    else:
        human(obj)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], title: str | None = None) -> None:
    t = Table(title=title)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in columns))
    console.print(t)


def fail(message: str, as_json: bool, code: int = 1) -> NoReturn:
    """Exit non-zero with a message that says what to do next."""
    if as_json:
        sys.stdout.write(dumps({"error": message}) + "\n")
    else:
        # soft_wrap: one line whatever the terminal width (scripts and log scrapers read the first line)
        err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def clinic_or_fail(conn: Any, slug: str, as_json: bool) -> dict[str, Any]:
    """The clinic row for `slug`, or exit with the message that says how to list clinics."""
    try:
        return clinics.get_by_slug(conn, slug)
    except clinics.ClinicNotFound as exc:
        fail(str(exc), as_json)


JsonOpt = typer.Option(False, "--json", help="Print one JSON object instead of a table.")
