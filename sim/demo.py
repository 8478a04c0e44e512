"""`make demo`: one night's batch and its calling days, end to end, in about a minute or two.

Resets the sample clinic (`sunrise-family`: its appointments, calls and DNC entries from earlier demo
runs), seeds its free slots, imports `examples/call_list.csv` through the production importer, starts a
Celery worker, Celery beat and the LiveKit stand-in (phone network + the real agent job in sim mode), and
runs the calls in simulated time. Dates: the sample list carries fixed dates (a week in January 2027) and
the simulated clock starts at 01:00 on the first calling day before them, so the demo is the same every
time it runs, whatever today's date. Exits non-zero if any appointment's result differs from what its
persona must lead to, or if anything else went wrong.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from clinic import clinics
from clinic.logs import configure
from clinic.settings import get_settings
from sim.call_model import modelled_cost, spoken_seconds
from sim.phone_network import read_call_list
from sim.run import Progress, RunError, RunReport, SimRun, first_calling_night
from sim.seed import SAMPLE_SLUG, ensure_sample_clinic

SAMPLE_LIST = Path(__file__).resolve().parents[1] / "examples" / "call_list.csv"
DEMO_SEED = "demo-1"
console = Console()


def reset_sample_clinic(conn: psycopg.Connection[Any], call_list: Path) -> dict[str, Any]:
    """Drop the sample clinic with everything it owns and create it again with slots around the demo's
    simulated dates (idempotent: every run starts from the same state). Global DNC entries that earlier
    demo runs added for the sample's own numbers are removed too; nothing else is touched."""
    data = call_list.read_bytes()
    rows = read_call_list(data)
    conn.execute("DELETE FROM clinics WHERE slug = %s", (SAMPLE_SLUG,))
    conn.execute("DELETE FROM dnc WHERE clinic_id IS NULL AND phone = ANY(%s) AND source IN"
                 " ('wrong_number', 'patient_request')", ([r.phone for r in rows],))
    clinic = ensure_sample_clinic(conn, date.today(), days=0)
    return ensure_sample_clinic(conn, first_calling_night(rows, clinic).date(), days=14)


def stamp_modelled_figures(conn: psycopg.Connection[Any], clinic_id: int) -> int:
    """Write the modelled cost and call length (sim/call_model.py) onto the demo's answered sim-mode calls,
    so the dashboard the demo leaves behind shows what such a night would cost with real audio and an LLM.
    Marked `usage.modelled = true`; only `sim`-mode attempts of the sample clinic are touched."""
    prices = get_settings().agent_prices
    rows = conn.execute("SELECT id, transcript FROM call_attempts WHERE clinic_id = %s AND mode = 'sim'"
                        " AND answered_at IS NOT NULL AND outcome IS NOT NULL AND outcome <> 'lost'",
                        (clinic_id,)).fetchall()
    for r in rows:
        conn.execute("UPDATE call_attempts SET cost_usd = %s, duration_seconds = %s,"
                     " usage = coalesce(usage, '{}'::jsonb) || '{\"modelled\": true}'::jsonb WHERE id = %s",
                     (round(modelled_cost(r["transcript"], prices), 5), round(spoken_seconds(r["transcript"]), 3),
                      r["id"]))
    return len(rows)


def print_summary(report: RunReport, out: Console = console) -> None:
    f = report.figures()
    out.rule("[bold]Night summary")
    out.print(f"[bold]{f['appointments']}[/bold] appointments, [bold]{f['attempts']}[/bold] call attempts over "
              f"{f['sim_days']:.1f} simulated days in {f['wall_seconds']:.0f}s wall time")
    status = Table(title="Appointments by final status")
    status.add_column("status")
    status.add_column("n", justify="right")
    for k, v in f["by_status"].items():
        status.add_row(k, str(v))
    outcomes = Table(title="Attempts by outcome")
    outcomes.add_column("outcome")
    outcomes.add_column("n", justify="right")
    for k, v in f["attempts_by_outcome"].items():
        outcomes.add_row(k, str(v))
    out.print(status, outcomes)
    cost = f"${f['cost_per_confirmed_usd']:.4f}" if f["cost_per_confirmed_usd"] is not None else "n/a"
    med = f"{f['median_call_seconds']:.0f}s" if f["median_call_seconds"] is not None else "n/a"
    p95 = f"{f['p95_call_seconds']:.0f}s" if f["p95_call_seconds"] is not None else "n/a"
    out.print(f"confirmation rate (confirmed or rescheduled): [bold]{f['confirmation_rate']:.0%}[/bold] "
              f"({f['confirmed_or_rescheduled']}/{f['appointments']})")
    out.print(f"cost per confirmed appointment: [bold]{cost}[/bold] (modelled for real audio and an LLM: "
              f"${f['modelled_cost_usd']:.4f} for {f['answered_calls']} answered calls; recorded in sim mode: "
              f"${f['recorded_cost_usd']:.4f})")
    out.print(f"call length (answered calls, modelled speech time): median [bold]{med}[/bold], p95 [bold]{p95}[/bold]")
    if report.restarts:
        out.print(f"services restarted during the run: {report.restarts}")

    per = Table(title="Per persona: expected vs got")
    for c in ("external_id", "persona", "status", "last outcome", "attempts", "check"):
        per.add_column(c)
    for r in report.results:
        per.add_row(r.external_id, r.persona, r.status, r.outcome or "-", str(r.attempts),
                    "[green]ok[/green]" if not r.problems else "[red]" + "; ".join(r.problems) + "[/red]")
    out.print(per)
    for p in report.problems:
        out.print(f"[red]problem:[/red] {p}")

    example = next((r for r in report.results if r.persona == "rescheduler" and r.attempt_ids), None)
    out.rule("Where to look next")
    out.print("dashboard:  [bold]python -m token_server[/bold]  then open http://127.0.0.1:8000")
    if example:
        out.print(f"a transcript: [bold]python -m dialer calls show {example.attempt_ids[-1]}[/bold]"
                  f"  ({example.external_id}, {example.persona})")
    out.print("any call list with a persona column: "
              "[bold]python -m sim run --call-list FILE --clinic SLUG --json[/bold]")


def run_demo(call_list: Path = SAMPLE_LIST, *, seed: str = DEMO_SEED, speed: float = 20.0,
             wall_timeout: float = 170.0, show: bool = True) -> RunReport:
    with psycopg.connect(get_settings().database_url, row_factory=dict_row, autocommit=True) as conn:
        clinic = reset_sample_clinic(conn, call_list)
        free = conn.execute("SELECT count(*) AS n FROM slots WHERE clinic_id = %s AND appointment_id IS NULL",
                            (clinic["id"],)).fetchone()
    if show:
        console.print(f"sample clinic [bold]{clinic['slug']}[/bold] reset, {free['n'] if free else 0} free slots; "
                      f"dialing [bold]{call_list.name}[/bold] in simulated time (seed {seed})")
    bar = RichProgress(TextColumn("[bold]{task.fields[when]}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("settled · {task.fields[flight]} in flight · {task.fields[attempts]} attempts"),
                       TimeElapsedColumn(), console=console, disable=not show, transient=False)
    with bar:
        task = bar.add_task("calls", total=None, when="starting services", flight=0, attempts=0)

        def progress(p: Progress) -> None:
            bar.update(task, total=p.total, completed=p.settled, flight=p.in_flight, attempts=p.attempts,
                       when=p.sim_now.astimezone(clinic_tz).strftime("%a %d %b %H:%M"))

        from zoneinfo import ZoneInfo

        clinic_tz = ZoneInfo(clinic["timezone"])
        run = SimRun(call_list, clinic["slug"], seed=seed, speed=speed, wall_timeout=wall_timeout,
                     on_progress=progress)
        report = run.execute()
    with psycopg.connect(get_settings().database_url, row_factory=dict_row, autocommit=True) as conn:
        stamp_modelled_figures(conn, clinic["id"])
    if show:
        if report.import_report.rejected:
            console.print(f"[yellow]import rejected {report.import_report.rejected} row(s):[/yellow] "
                          f"{report.import_report.errors}")
        print_summary(report)
    return report


def main() -> int:
    configure("WARNING")   # the progress bar and the summary are the demo's output
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # unwind, so the services are stopped
    try:
        report = run_demo(Path(os.environ.get("DEMO_CALL_LIST", SAMPLE_LIST)))
    except (RunError, clinics.ClinicError, clinics.ClinicNotFound) as exc:
        console.print(f"[red]demo failed:[/red] {exc}")
        return 2
    if report.import_report.rejected:
        console.print("[red]demo failed:[/red] the sample call list did not import cleanly")
        return 1
    if not report.ok:
        bad = sum(1 for r in report.results if r.problems)
        console.print(f"[red]demo failed:[/red] {bad} appointment(s) did not end as their persona must, "
                      f"{len(report.problems)} other problem(s)")
        return 1
    console.print("[green]demo passed:[/green] every appointment ended as its persona must.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
