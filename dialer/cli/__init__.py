"""`python -m dialer`: the admin CLI. Each concern registers its commands here."""

import typer

from dialer.cli import admin, calls, imports

app = typer.Typer(help="Appointment-confirmation dialer: clinic admin, imports, planning, calls.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)

app.command("migrate")(admin.migrate)
app.add_typer(admin.clinic_app, name="clinic")
app.add_typer(admin.keys_app, name="keys")
app.add_typer(admin.dnc_app, name="dnc")
app.add_typer(admin.slots_app, name="slots")
app.registered_commands += __import__("dialer.cli.planning", fromlist=["planning_app"]).planning_app.registered_commands
app.add_typer(calls.calls_app, name="calls")
app.command("import-calls")(imports.import_calls)
app.add_typer(imports.call_lists_app, name="call-lists")
