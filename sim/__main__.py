"""`python -m sim run --call-list FILE --clinic SLUG [--json]`: the demo's machinery for any call list.

Imports the list into the clinic, dials it in simulated time with the real worker, beat, agent and a
simulated phone network (personas from the list's `persona` column, else chosen by number), and prints
one result per appointment. Exits 1 if an appointment did not end as its persona must, 2 if the run
itself failed. Run it against a clinic whose appointments have not been dialed yet (rows already
settled by an earlier run stay as they are)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import typer

from clinic import clinics
from clinic.logs import configure
from clinic.settings import get_settings
from dialer.cli.output import console, dumps, err_console, table
from sim.phone_network import CallListError
from sim.run import RunError, SimRun

app = typer.Typer(help="Simulated runs: a call list dialed end to end against simulated patients.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)


@app.callback()
def _root() -> None:
    """Simulated runs (the demo's machinery)."""


@app.command("run")
def run(call_list: Path = typer.Option(..., "--call-list", exists=True, dir_okay=False, help="CSV to dial"),
        clinic: str = typer.Option(..., "--clinic", help="Clinic slug (must exist)"),
        seed: str = typer.Option("0", help="Seed for the personas' phrasing (same seed, same conversations)"),
        speed: float = typer.Option(20.0, help="Simulated seconds per wall second while calls run"),
        timeout: float = typer.Option(600.0, help="Give up after this many wall seconds"),
        llm: bool = typer.Option(False, "--llm", help="Let an LLM play the personas (needs OPENAI_API_KEY)"),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per appointment, one per line "
                                     "(external_id, status, outcome, attempts, ...).")) -> None:
    """Dial a call list in simulated time and print each appointment's final state."""
    configure(get_settings().log_level)   # logs go to stderr; stdout carries only the results
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # unwind, so the services are stopped
    sim = SimRun(call_list, clinic, seed=seed, speed=speed, wall_timeout=timeout, use_llm=llm)
    try:
        report = sim.execute()
    except (clinics.ClinicError, clinics.ClinicNotFound, CallListError, RunError) as exc:
        if as_json:
            print(dumps({"error": str(exc)}))
        else:
            err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    for notice in sim.notices:
        err_console.print(f"clinic {clinic} was not ready to dial; this run gave it: {notice}")
    if as_json:
        for r in report.results:
            print(dumps(r.as_json()))
    else:
        table([{**r.as_json(), "problems": "; ".join(r.problems) or "ok"} for r in report.results],
              ["external_id", "persona", "status", "outcome", "attempts", "problems"])
        f = report.figures()
        console.print(f"{f['attempts']} attempts, confirmation rate {f['confirmation_rate']:.0%}, "
                      f"{f['wall_seconds']:.0f}s wall")
    for p in report.problems:
        err_console.print(f"[red]problem:[/red] {p}")
    if report.problems:
        raise typer.Exit(2)
    if not report.ok:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
