"""`make demo`: seed the sample clinic and show what the system does with it."""

from __future__ import annotations

from datetime import date

from clinic.db import connect
from dialer.cli.output import console
from sim.seed import ensure_sample_clinic


def main() -> int:
    with connect() as conn:
        clinic = ensure_sample_clinic(conn, date.today())
        conn.commit()
        free = conn.execute("SELECT count(*) AS n FROM slots WHERE clinic_id = %s AND appointment_id IS NULL",
                            (clinic["id"],)).fetchone()
    console.print(f"sample clinic [bold]{clinic['slug']}[/bold] ready with {free['n'] if free else 0} free slots")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
