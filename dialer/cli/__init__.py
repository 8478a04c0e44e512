"""`python -m dialer`: the admin CLI. Each concern registers its commands here."""

import typer

from dialer.cli import admin, calls, imports, planning

app = typer.Typer(help="Appointment-confirmation dialer: clinic admin, imports, planning, calls.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)

app.command("migrate")(admin.migrate)
app.add_typer(admin.clinic_app, name="clinic")
app.add_typer(admin.keys_app, name="keys")
app.add_typer(admin.dnc_app, name="dnc")
app.add_typer(admin.slots_app, name="slots")
app.add_typer(calls.calls_app, name="calls")
app.registered_commands += planning.planning_app.registered_commands
app.command("import-calls")(imports.import_calls)
app.add_typer(imports.call_lists_app, name="call-lists")


def main() -> None:
    """Run the CLI. Bad input is reported by each command (one line naming the field, exit 1); anything that
    still escapes a command is turned into one line too, never a traceback (DIALER_DEBUG=1 shows it)."""
    import os
    import sys

    from clinic.phones import mask_in_text
    from dialer.cli.output import dumps, err_console

    try:
        app(prog_name="python -m dialer")
    except SystemExit:
        raise
    except Exception as exc:
        if os.environ.get("DIALER_DEBUG") == "1":
            raise
        message = (f"{type(exc).__name__}: {mask_in_text(str(exc)).splitlines()[0][:300] if str(exc) else ''}"
                   " (unexpected; run with DIALER_DEBUG=1 for the traceback)")
        if "--json" in sys.argv:
            sys.stdout.write(dumps({"error": message}) + "\n")
        else:
            err_console.print(f"[red]error:[/red] {message}", markup=True, highlight=False, soft_wrap=True)
        sys.exit(1)
