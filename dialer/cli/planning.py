"""Planning commands: dry-run the planner at any instant, build a batch, pause/resume, run worker/beat."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime

import typer

from clinic import bounds, clinics, events
from clinic.clock import get_clock
from clinic.db import connect
from clinic.settings import get_settings
from dialer import batches, planner
from dialer.cli.output import JsonOpt, clinic_or_fail, console, emit, fail, table

planning_app = typer.Typer(help="Plan calls, build batches, pause/resume dialing, run the Celery worker/beat.",
                           no_args_is_help=True)


def _parse_at(at: str | None, as_json: bool) -> datetime:
    if at is None:
        return get_clock().now()
    try:
        value = datetime.fromisoformat(at)
    except ValueError:
        fail(f"--at {at!r} is not ISO 8601 (e.g. 2026-03-10T15:00:00+00:00)", as_json)
    if value.tzinfo is None:
        fail(f"--at {at!r} needs a UTC offset or Z (e.g. 2026-03-10T10:00:00-05:00)", as_json)
    try:
        return bounds.check_instant(value, "--at", now=get_clock().now())
    except bounds.OutOfBounds as exc:
        fail(str(exc), as_json)


@planning_app.command("plan")
def plan(
    clinic: str = typer.Option(..., "--clinic", help="Clinic slug"),
    at: str | None = typer.Option(None, "--at", help="With --dry-run: instant to explain, ISO 8601 with offset"
                                  " (default: now)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only explain; create no attempts"),
    as_json: bool = JsonOpt,
) -> None:
    """Who would be dialed at an instant, and for every other upcoming appointment, why not.

    `--at` only goes with `--dry-run`: real attempts are always planned at the clock's now, or they would
    carry a made-up planned_at (guardrail counts, batches and the reaper all read it) and could be dialed
    at a moment the calling window was checked for another instant."""
    if at is not None and not dry_run:
        fail("--at plans for an arbitrary instant and is only allowed with --dry-run; to create real attempts,"
             " run `python -m dialer plan --clinic S` without --at (it plans at the current time)", as_json)
    now = _parse_at(at, as_json)
    with connect() as conn:
        row = clinic_or_fail(conn, clinic, as_json)
        if dry_run:
            result = planner.explain(conn, row, now)
        else:
            from dialer.tasks import enqueue_dispatch

            conn.close()
            result = planner.tick(now, enqueue_dispatch, clinic_ids=[row["id"]])[0]
    emit(result.as_json(), as_json, lambda r: (
        table(r["dial"], ["external_id", "appointment_id"], title=f"dial at {now.isoformat()}"),
        table(r["skipped"], ["external_id", "reason"], title="skipped")))


@planning_app.command("batch")
def batch(
    clinic: str = typer.Option(..., "--clinic", help="Clinic slug"),
    day: str | None = typer.Option(None, "--date", help="Calling day YYYY-MM-DD in clinic time (default: today)"),
    as_json: bool = JsonOpt,
) -> None:
    """Build (or top up) a clinic's batch for a calling day and print its progress counts."""
    now = get_clock().now()
    with connect() as conn:
        row = clinic_or_fail(conn, clinic, as_json)
        today = now.astimezone(clinics.parse_timezone(row["timezone"])).date()
        try:
            when = bounds.check_day(date.fromisoformat(day), "--date", today=today) if day else today
        except bounds.OutOfBounds as exc:
            fail(str(exc), as_json)
        except ValueError:
            fail(f"--date {day!r} must look like 2026-03-10", as_json)
        progress = batches.build_batch(conn, row, when, now)
        conn.commit()
    emit(progress, as_json, lambda p: table([p], ["batch_date", "planned", "appointments", "dialed", "reached",
                                                   "confirmed", "rescheduled", "cancelled", "unreachable",
                                                   "pending"], title=f"batch {clinic}"))


@planning_app.command("pause")
def pause(clinic: str = typer.Option(..., "--clinic", help="Clinic slug"),
          reason: str = typer.Option("paused by staff", help="Shown wherever the pause is shown"),
          as_json: bool = JsonOpt) -> None:
    """Stop planning new calls for a clinic (calls in progress finish normally)."""
    now = get_clock().now()
    with connect() as conn:
        row = clinic_or_fail(conn, clinic, as_json)
        conn.execute("UPDATE clinics SET paused_at = coalesce(paused_at, %s), paused_reason = %s, updated_at = %s"
                     " WHERE id = %s", (now, reason, now, row["id"]))
        events.record(conn, kind="clinic.paused", actor="cli", clinic_id=row["id"], subject_type="clinic",
                      subject_id=row["id"], data={"reason": reason})
        conn.commit()
    emit({"clinic": clinic, "paused": True, "reason": reason}, as_json,
         lambda r: console.print(f"{clinic}: paused ({reason})"))


@planning_app.command("resume")
def resume(clinic: str = typer.Option(..., "--clinic", help="Clinic slug"), as_json: bool = JsonOpt) -> None:
    """Resume dialing (also clears a circuit-breaker pause; older trunk failures no longer count)."""
    now = get_clock().now()
    with connect() as conn:
        row = clinic_or_fail(conn, clinic, as_json)
        conn.execute("UPDATE clinics SET paused_at = NULL, paused_reason = NULL, resumed_at = %s, updated_at = %s"
                     " WHERE id = %s", (now, now, row["id"]))
        events.record(conn, kind="clinic.resumed", actor="cli", clinic_id=row["id"], subject_type="clinic",
                      subject_id=row["id"], data={"previous_reason": row["paused_reason"]})
        conn.commit()
    emit({"clinic": clinic, "paused": False, "previous_reason": row["paused_reason"]}, as_json,
         lambda r: console.print(f"{clinic}: resumed"))


def _celery(args: list[str]) -> None:
    os.execvp(sys.executable, [sys.executable, "-m", "celery", "-A", "dialer.celery_app", *args])


@planning_app.command("worker")
def worker(concurrency: int = typer.Option(4, help="Worker processes"),
           loglevel: str = typer.Option("INFO")) -> None:
    """Run a Celery worker on the dialer queue (same as `celery -A dialer.celery_app worker -Q <queue>`)."""
    _celery(["worker", "-Q", get_settings().dialer_queue, "-c", str(concurrency), "-l", loglevel])


@planning_app.command("beat")
def beat(loglevel: str = typer.Option("INFO")) -> None:
    """Run Celery beat: planner and reaper every DIALER_TICK_SECONDS, due batches every DIALER_BATCHES_SECONDS."""
    _celery(["beat", "-l", loglevel])
