"""Clinic administration: migrations, clinics, API keys, DNC, slots."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer

from clinic import bounds, clinics, dnc, slots
from clinic.clock import get_clock
from clinic.db import connect
from clinic.migrate import migrate as run_migrations
from clinic.migrate import status as migration_status
from clinic.phones import InvalidPhone, mask, to_e164
from clinic.settings import get_settings
from dialer.cli.output import JsonOpt, clinic_or_fail, console, emit, err_console, fail, table

clinic_app = typer.Typer(help="Add, change, check and list clinics.", no_args_is_help=True)
trunk_app = typer.Typer(help="The clinic's outbound SIP trunk on the LiveKit server.", no_args_is_help=True)
clinic_app.add_typer(trunk_app, name="trunk")
keys_app = typer.Typer(help="Create and revoke API keys for the clinic API.", no_args_is_help=True)
dnc_app = typer.Typer(help="Manage the do-not-call list.", no_args_is_help=True)
slots_app = typer.Typer(help="Manage free appointment slots used for rescheduling.", no_args_is_help=True)


def migrate(as_json: bool = JsonOpt) -> None:
    """Create the database if needed and apply pending migrations (safe to run concurrently)."""
    url = get_settings().database_url
    applied = run_migrations(url)
    state = migration_status(url)
    result = {"applied": [f"{m.version:04d}_{m.name}" for m in applied],
              "current_version": max(state["applied"], default=0), "pending": state["pending"]}
    emit(result, as_json, lambda r: console.print(
        f"applied {len(r['applied'])} migration(s): {', '.join(r['applied']) or 'already up to date'}"))


@clinic_app.command("add")
def clinic_add(
    slug: str = typer.Option(..., help="Short id used in commands and URLs, e.g. sunrise-family"),
    name: str = typer.Option(..., help="Clinic name as the agent says it to patients"),
    timezone: str = typer.Option(..., help="IANA time zone, e.g. America/Chicago"),
    state: str | None = typer.Option(None, help="US state code; stricter state calling rules apply"),
    calling_hours: str = typer.Option("09:00-19:00", help="Clinic-time window for calls, HH:MM-HH:MM"),
    callback_number: str | None = typer.Option(None, help="Number patients call back (said in voicemails)"),
    transfer_number: str | None = typer.Option(None, help="Front desk number for transfers"),
    caller_id: str | None = typer.Option(None, help="Caller id shown to patients"),
    sip_trunk_id: str | None = typer.Option(None, help="LiveKit outbound SIP trunk id"),
    as_json: bool = JsonOpt,
) -> None:
    """Add a clinic and print its API key (shown once; only a hash is stored)."""
    extra = {}
    try:
        for field, value in (("callback_number", callback_number), ("transfer_number", transfer_number),
                             ("caller_id", caller_id)):
            if value:
                extra[field] = to_e164(value)
    except InvalidPhone as exc:
        fail(f"{field}: {exc}", as_json)
    if sip_trunk_id:
        extra["sip_trunk_id"] = sip_trunk_id
    with connect() as conn:
        try:
            row = clinics.create_clinic(conn, slug=slug, name=name, timezone=timezone, state=state,
                                        calling_hours=calling_hours, **extra)
        except clinics.ClinicError as exc:
            fail(str(exc), as_json)
        key = clinics.create_api_key(conn, row["id"], label="initial")
        conn.commit()
    result = {"id": row["id"], "slug": row["slug"], "name": row["name"], "timezone": row["timezone"],
              "state": row["us_state"], "api_key": key.key}
    warning = clinics.hours_warning(row["calling_hours_start"], row["calling_hours_end"])
    if warning:
        result["warning"] = warning
        err_console.print(f"[yellow]warning:[/yellow] {warning}")
    emit(result, as_json, lambda r: console.print(
        f"clinic [bold]{r['slug']}[/bold] created (id {r['id']}).\n"
        f"API key (shown once, store it now): [bold]{r['api_key']}[/bold]"))


@clinic_app.command("update")
def clinic_update(
    slug: str = typer.Option(..., help="The clinic to change"),
    name: str | None = typer.Option(None, help="Clinic name as the agent says it to patients"),
    calling_hours: str | None = typer.Option(None, help="Clinic-time window for calls, HH:MM-HH:MM"),
    caller_id: str | None = typer.Option(None, help="Caller id shown to patients"),
    callback_number: str | None = typer.Option(None, help="Number patients call back (said in voicemails)"),
    transfer_number: str | None = typer.Option(None, help="Front desk number for transfers"),
    sip_trunk_id: str | None = typer.Option(None, help="LiveKit outbound SIP trunk id"),
    max_concurrent_calls: int | None = typer.Option(None, help="Calls this clinic may have in flight at once"),
    calls_per_second: float | None = typer.Option(None, help="Dial rate limit for this clinic"),
    allow_test_number: list[str] | None = typer.Option(
        None, "--allow-test-number", help="Add a number POST /api/test-calls/phone may dial (repeatable)"),
    disallow_test_number: list[str] | None = typer.Option(
        None, "--disallow-test-number", help="Remove a number from the test allow-list (repeatable)"),
    as_json: bool = JsonOpt,
) -> None:
    """Change an existing clinic's settings; prints what changed and records an audit event."""
    update = clinics.ClinicUpdate(
        name=name, calling_hours=calling_hours, caller_id=caller_id, callback_number=callback_number,
        transfer_number=transfer_number, sip_trunk_id=sip_trunk_id, max_concurrent_calls=max_concurrent_calls,
        calls_per_second=calls_per_second, allow_test_numbers=tuple(allow_test_number or ()),
        disallow_test_numbers=tuple(disallow_test_number or ()))
    if update.is_empty():
        fail("nothing to change: give at least one setting, e.g. --caller-id or --allow-test-number "
             "(`python -m dialer clinic update --help` lists them)", as_json)
    with connect() as conn:
        try:
            row, changed = clinics.update_clinic(conn, slug, update)
        except (clinics.ClinicError, clinics.ClinicNotFound) as exc:
            fail(str(exc), as_json)
        conn.commit()
    warning = clinics.hours_warning(row["calling_hours_start"], row["calling_hours_end"])
    if warning and "calling_hours" in changed:
        err_console.print(f"[yellow]warning:[/yellow] {warning}")

    def human(r: dict[str, Any]) -> None:
        if not r["changed"]:
            console.print(f"clinic [bold]{r['slug']}[/bold]: nothing changed (already set)")
        for field, c in r["changed"].items():
            console.print(f"{r['slug']} {field}: {c['from']} -> {c['to']}")

    emit({"slug": slug, "changed": changed}, as_json, human)


@clinic_app.command("list")
def clinic_list(as_json: bool = JsonOpt) -> None:
    """List clinics with their time zone, calling hours and pause state."""
    with connect() as conn:
        rows = clinics.list_all(conn)
    out = [{"id": r["id"], "slug": r["slug"], "name": r["name"], "timezone": r["timezone"],
            "state": r["us_state"],
            "calling_hours": f"{r['calling_hours_start']:%H:%M}-{r['calling_hours_end']:%H:%M}",
            "paused": r["paused_at"] is not None, "paused_reason": r["paused_reason"]} for r in rows]
    emit({"clinics": out}, as_json, lambda o: table(
        o["clinics"], ["slug", "name", "timezone", "state", "calling_hours", "paused", "paused_reason"]))


@keys_app.command("create")
def keys_create(
    clinic: str | None = typer.Option(None, help="Clinic slug; omit with --operator"),
    operator: bool = typer.Option(False, help="Create a cross-clinic operator key"),
    label: str = typer.Option("", help="What the key is for"),
    as_json: bool = JsonOpt,
) -> None:
    """Create an API key (shown once)."""
    if bool(clinic) == operator:
        fail("give exactly one of --clinic SLUG or --operator", as_json)
    with connect() as conn:
        try:
            clinic_id = clinics.get_by_slug(conn, clinic)["id"] if clinic else None
        except clinics.ClinicNotFound as exc:
            fail(str(exc), as_json)
        key = clinics.create_api_key(conn, clinic_id, label)
        conn.commit()
    emit({"id": key.id, "prefix": key.prefix, "api_key": key.key, "clinic": clinic}, as_json,
         lambda r: console.print(f"API key (shown once): [bold]{r['api_key']}[/bold]"))


@keys_app.command("revoke")
def keys_revoke(prefix: str = typer.Argument(..., help="First 10 characters of the key"),
                as_json: bool = JsonOpt) -> None:
    """Revoke a key by its prefix; requests with it get 401 from then on."""
    with connect() as conn:
        n = clinics.revoke_api_key(conn, prefix)
        conn.commit()
    if n == 0:
        fail(f"no active key starts with {prefix!r}", as_json)
    emit({"revoked": n}, as_json, lambda r: console.print(f"revoked {r['revoked']} key(s)"))


@dnc_app.command("add")
def dnc_add(
    number: str = typer.Argument(..., help="Phone number in any common format"),
    reason: str = typer.Option(..., help="Why: shown to staff, kept for audits"),
    clinic: str | None = typer.Option(None, help="Clinic slug; omit for every clinic (global)"),
    as_json: bool = JsonOpt,
) -> None:
    """Put a number on the do-not-call list (idempotent)."""
    with connect() as conn:
        region = "US"
        clinic_id = None
        if clinic:
            row = clinic_or_fail(conn, clinic, as_json)
            clinic_id, region = row["id"], row["country"]
        try:
            e164 = to_e164(number, region)
        except InvalidPhone as exc:
            fail(f"number: {exc}", as_json)
        added = dnc.add(conn, e164, clinic_id=clinic_id, reason=reason, source="staff")
        conn.commit()
    emit({"phone": mask(e164), "clinic": clinic, "added": added}, as_json, lambda r: console.print(
        f"{r['phone']} {'added to' if r['added'] else 'was already on'} the do-not-call list"
        f" ({r['clinic'] or 'all clinics'})"))


@slots_app.command("generate")
def slots_generate(
    clinic: str = typer.Option(..., help="Clinic slug"),
    provider: str = typer.Option(..., help="Provider name as on the call list, e.g. 'Dr. Patel'"),
    from_: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD"),
    to: str = typer.Option(..., help="Last day, YYYY-MM-DD"),
    location: str | None = typer.Option(None, help="Office the slots are at"),
    minutes: int = typer.Option(30, help="Slot length in minutes"),
    as_json: bool = JsonOpt,
) -> None:
    """Turn weekday working hours (09:00-17:00, lunch 12-13, clinic time) into free slots."""
    try:
        start, end = date.fromisoformat(from_), date.fromisoformat(to)
    except ValueError:
        fail("--from and --to must be dates like 2027-03-01", as_json)
    if not 5 <= minutes <= 480:
        fail(f"--minutes must be between 5 and 480, not {minutes}", as_json)
    if not provider.strip() or len(provider) > 200:
        fail("--provider must be a name of 1-200 characters, as on the call list", as_json)
    with connect() as conn:
        row = clinic_or_fail(conn, clinic, as_json)
        today = get_clock().now().astimezone(clinics.parse_timezone(row["timezone"])).date()
        try:
            bounds.check_day_range(start, end, today=today)
        except bounds.OutOfBounds as exc:
            fail(str(exc), as_json)
        closed = frozenset(row["closed_weekdays"]) | {6, 7}
        result = slots.generate(conn, clinic_id=row["id"], tz_name=row["timezone"], provider=provider,
                                start=start, end=end, location=location, slot_minutes=minutes,
                                closed_weekdays=closed)
        conn.commit()
    emit(result, as_json, lambda r: console.print(
        f"{r['created']} new free slot(s) for {provider} ({r['slots']} in range,"
        f" {r['linked_to_appointments']} matched existing appointments)"))


@trunk_app.command("create")
def trunk_create(slug: str = typer.Option(..., help="The clinic"), as_json: bool = JsonOpt) -> None:
    """Create the clinic's outbound trunk on LiveKit (CreateSIPOutboundTrunk: SIP_TRUNK_ADDRESS, the clinic's
    caller id as its number, SIP_TRUNK_USERNAME/PASSWORD) and store its id on the clinic. A clinic whose
    stored trunk is already on the server keeps it."""
    from dialer import trunks

    with connect() as conn:
        row = clinic_or_fail(conn, slug, as_json)
    if row["sip_trunk_id"]:
        existing = trunks.run(trunks.trunk_on_server(row["sip_trunk_id"]))
        if existing.present:
            emit({"slug": slug, "sip_trunk_id": row["sip_trunk_id"], "created": False}, as_json,
                 lambda r: console.print(f"{slug} already has trunk {r['sip_trunk_id']} on the LiveKit server"))
            return
        if existing.present is None:
            fail(f"sip_trunk_id: cannot check the stored trunk: {existing.error}", as_json)
    try:
        trunk_id = trunks.run(trunks.create_trunk(row))
    except trunks.TrunkError as exc:
        fail(str(exc), as_json)
    with connect() as conn:
        clinics.update_clinic(conn, slug, clinics.ClinicUpdate(sip_trunk_id=trunk_id))
        conn.commit()
    emit({"slug": slug, "sip_trunk_id": trunk_id, "created": True, "replaced": row["sip_trunk_id"]}, as_json,
         lambda r: console.print(f"{slug}: trunk {r['sip_trunk_id']} created on the LiveKit server and stored"))


@clinic_app.command("check")
def clinic_check(slug: str = typer.Option(..., help="The clinic"), as_json: bool = JsonOpt) -> None:
    """Can the clinic be dialed? Checks the trunk on the LiveKit server (ListSIPOutboundTrunk), caller id,
    callback and transfer numbers and free slots; names what is missing and how to fix it. Exit 0 when ready,
    1 when not."""
    from clinic import readiness
    from dialer import trunks

    with connect() as conn:
        row = clinic_or_fail(conn, slug, as_json)
        db = readiness.check_db(conn, row, get_clock().now())
    missing = list(db.missing)
    server: dict[str, Any] = {"checked": False}
    if row["sip_trunk_id"]:
        found = trunks.run(trunks.trunk_on_server(row["sip_trunk_id"]))
        server = {"checked": found.present is not None, "present": found.present, "error": found.error}
        if not found.present:
            missing.insert(0, "trunk_on_server")
    result = readiness.Readiness(tuple(missing))
    out = {"slug": slug, "ready": result.ready, "missing": missing, "fix": result.how_to_fix(slug),
           "sip_trunk_id": row["sip_trunk_id"], "server": server}

    def human(r: dict[str, Any]) -> None:
        if r["ready"]:
            console.print(f"{slug}: ready to dial (trunk {r['sip_trunk_id']} is on the LiveKit server)")
            return
        console.print(f"{slug}: NOT ready to dial; missing: {', '.join(r['missing'])}")
        if r["server"].get("error"):
            console.print(f"  LiveKit: {r['server']['error']}")
        for step in r["fix"]:
            console.print(f"  fix: {step}")

    emit(out, as_json, human)
    if not result.ready:
        raise typer.Exit(1)
