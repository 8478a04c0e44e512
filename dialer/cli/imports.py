"""Call-list commands: `import-calls FILE --clinic SLUG` and `call-lists list|errors`.

Thin: reading the file, the progress bar and printing live here; every rule is in clinic.call_lists."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clinic import logs
from clinic.call_lists import ImportReport, WholeFileError, errors_csv, import_call_list
from clinic.db import connect
from clinic.settings import get_settings
from dialer.cli.output import JsonOpt, clinic_or_fail, console, emit, err_console, fail, table

call_lists_app = typer.Typer(help="Uploaded call lists: history and row-error exports.", no_args_is_help=True)

_BAR_FROM_BYTES = 256 * 1024  # below this an import takes well under a second: no bar
_SHOWN_ERRORS = 20


def import_calls(
    file: Path = typer.Argument(..., help="The call list: CSV (comma, semicolon or tab), UTF-8 or Windows-1252"),
    clinic: str = typer.Option(..., "--clinic", help="Slug of the clinic the appointments belong to"),
    as_json: bool = JsonOpt,
) -> None:
    """Import a call list. Good rows are imported even when others have errors; exits 0 when the file was
    processed, non-zero (nothing imported) when the file as a whole cannot be used."""
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_json)  # to stderr: stdout carries only the result
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}; check the path", as_json)
    with connect() as conn:
        row = clinic_or_fail(conn, clinic, as_json)
        show_bar = not as_json and sys.stderr.isatty() and len(data) >= _BAR_FROM_BYTES
        try:
            if show_bar:
                with Progress(TextColumn("importing {task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeRemainingColumn(), console=err_console, transient=True) as bar:
                    task = bar.add_task(file.name, total=None)

                    def advance(done: int, total: int) -> None:
                        bar.update(task, completed=done, total=total)

                    report = import_call_list(conn, row, data, filename=file.name, source="cli", progress=advance)
            else:
                report = import_call_list(conn, row, data, filename=file.name, source="cli")
        except WholeFileError as exc:
            fail(f"{file.name}: {exc} (nothing was imported; upload recorded as call list {exc.call_list_id})",
                 as_json)
    emit(report.to_dict(), as_json, lambda _: _print_report(report))


def _print_report(report: ImportReport) -> None:
    console.print(f"call list {report.call_list_id}: [green]{report.imported} imported[/green], "
                  f"{report.updated} updated, {report.unchanged} unchanged, "
                  f"[{'red' if report.rejected else 'green'}]{report.rejected} rejected[/]")
    if report.errors:
        table(report.errors[:_SHOWN_ERRORS], ["row", "column", "message"], title="Rows not imported")
        more = len(report.errors) - _SHOWN_ERRORS
        console.print(("" if more <= 0 else f"{more} more error(s). ")
                      + f"All errors as CSV: python -m dialer call-lists errors {report.call_list_id} "
                      "--output errors.csv")


@call_lists_app.command("list")
def list_call_lists(
    clinic: str = typer.Option(..., "--clinic", help="Clinic slug"),
    limit: int = typer.Option(20, help="How many of the latest uploads"),
    as_json: bool = JsonOpt,
) -> None:
    """The clinic's latest uploads with their counts and status."""
    with connect() as conn:
        row = clinic_or_fail(conn, clinic, as_json)
        rows = conn.execute(
            "SELECT id, filename, source, status, imported, updated, unchanged, rejected, failure_reason,"
            " created_at FROM call_lists WHERE clinic_id = %s ORDER BY created_at DESC, id DESC LIMIT %s",
            (row["id"], limit)).fetchall()
    emit({"call_lists": rows}, as_json, lambda o: table(
        o["call_lists"], ["id", "filename", "status", "imported", "updated", "unchanged", "rejected",
                          "failure_reason", "created_at"], title=f"call lists of {clinic}"))


@call_lists_app.command("errors")
def export_errors(
    call_list_id: int = typer.Argument(..., help="Call list id (printed by import-calls; see call-lists list)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the CSV here instead of stdout"),
    as_json: bool = JsonOpt,
) -> None:
    """Export an upload's row errors as CSV (row, column, message), safe to open in a spreadsheet:
    cells starting with = + - @ are neutralised."""
    with connect() as conn:
        found: dict[str, Any] | None = conn.execute(
            "SELECT id, status, failure_reason, errors FROM call_lists WHERE id = %s", (call_list_id,)).fetchone()
    if found is None:
        fail(f"no call list with id {call_list_id}; `python -m dialer call-lists list --clinic SLUG` shows them",
             as_json)
    errors = found["errors"] or []
    if found["status"] == "failed" and found["failure_reason"]:
        errors = [{"row": 0, "column": "", "message": found["failure_reason"]}, *errors]
    if as_json:
        emit({"call_list_id": call_list_id, "errors": errors, "output": str(output) if output else None},
             True, lambda _: None)
        if output is None:
            return
    text = errors_csv(errors)
    if output is None:
        sys.stdout.write(text)
        return
    # UTF-8 with BOM: Excel then shows accented names and messages correctly.
    output.write_text(text, encoding="utf-8-sig", newline="")
    if not as_json:
        console.print(f"{len(errors)} error(s) written to {output}")
