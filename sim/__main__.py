"""`python -m sim run --call-list FILE --clinic SLUG [--json]`: the demo's machinery for any call list.

Imports the list into the clinic, dials it in simulated time with the real worker, beat, agent and a
simulated phone network (personas from the list's `persona` column, else chosen by number), and prints
one result per appointment. Exits 1 if an appointment did not end as its persona must, 2 if the run
itself failed. Run it against a clinic whose appointments have not been dialed yet (rows already
settled by an earlier run stay as they are)."""

from __future__ import annotations

import signal
import sys
import time
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


@app.command("call")
def call(persona: str = typer.Option(..., "--persona", help="Who answers: confirmer, rescheduler, busy, no_answer, "
                                     "voicemail, opt_out, human, ... (see sim/personas.py)"),
         clinic: str = typer.Option("sim-call", "--clinic", help="Clinic slug; `sim-call` is created when missing. "
                                    "A clinic with no trunk gets one pointing at the simulated phone network."),
         timeout: float = typer.Option(240.0, help="Give up waiting for the outcome after this many seconds"),
         as_json: bool = typer.Option(False, "--json", help="Print one JSON object: attempt_id, outcome, status, "
                                      "sip_status_code, sip_call_id, recording, transcript")) -> None:
    """Place one real call: Celery dispatch -> LiveKit server -> agent worker -> LiveKit SIP -> the SIP phone
    network answering as PERSONA. Starts whatever is not running (LiveKit, SIP, speech server; and for this
    call the phone network, an agent worker and a Celery worker) and prints where to listen."""
    from sim.personas import get_spec
    from sim.real_call import RealCallStack, persona_number, ready_clinic

    configure(get_settings().log_level)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        get_spec(persona)
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] --persona: {exc}")
        raise typer.Exit(2) from None
    number = persona_number(persona)
    settings = get_settings()
    workdir = Path(".run") / "sim-call" / f"{persona}-{int(time.time())}"
    with RealCallStack(database_url=settings.database_url, workdir=workdir.resolve(), personas={number: persona},
                       front_desk=("+12125550199",)) as stack:
        with stack.connect() as conn:
            if clinic == "sim-call":
                row = ready_clinic(conn, clinic)
            else:
                row = conn.execute("SELECT * FROM clinics WHERE slug = %s", (clinic,)).fetchone()
                if row is None:
                    err_console.print(f"[red]error:[/red] --clinic: no clinic with slug {clinic!r}")
                    raise typer.Exit(2)
                missing = [c for c in ("caller_id", "callback_number", "transfer_number") if not row[c]]
                if missing:
                    err_console.print(f"[red]error:[/red] --clinic {clinic}: set {', '.join(missing)} first "
                                      f"(python -m dialer clinic update --slug {clinic} ...)")
                    raise typer.Exit(2)
        row, created = stack.ensure_trunk(row)
        if created:
            err_console.print(f"clinic {row['slug']}: trunk {row['sip_trunk_id']} created on the LiveKit server, "
                              f"pointing at the simulated phone network ({stack.phone.address})")
        report = stack.place_call(row, persona, timeout=timeout)
    if as_json:
        print(dumps(report.as_json()))
    else:
        console.print(f"attempt {report.attempt_id}: {report.outcome} (status {report.status}, "
                      f"SIP {report.sip_status_code or '-'}) in {report.seconds:.0f}s")
        for t in report.transcript:
            console.print(f"  {t['role']:>7}: {t['text']}")
        if report.recording:
            console.print(f"listen: {report.recording}   (e.g. `aplay {report.recording}` or open it in a browser)")
    if report.outcome is None:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
