"""Dry-run tonight's plan: who the dialer would call at a given instant, and why every other upcoming
appointment would not be called (outside the calling window, on the do-not-call list, capacity, ...).

    python examples/dry_run_plan.py [--at 2027-01-12T14:00:00-05:00]

Read-only and lock-free (`dialer.planner.explain`): it creates no call attempts, so staff can ask "what
happens at 9 tomorrow?" safely. The same rules run under locks in the beat's planner tick.
The CLI equivalent: python -m dialer plan --clinic sunrise-family --dry-run --at ...
Reads DATABASE_URL from the settings (.env or the environment)."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from clinic import dnc
from clinic.call_lists.importer import import_call_list
from clinic.db import connect
from dialer import planner
from sim.seed import ensure_sample_clinic

SAMPLE = Path(__file__).with_name("call_list.csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Tuesday afternoon in New York: the sample list's Wednesday and Thursday appointments are due.
    parser.add_argument("--at", default="2027-01-12T14:00:00-05:00", help="instant to plan for, ISO 8601")
    at = datetime.fromisoformat(parser.parse_args(argv).at)
    with connect() as conn:
        clinic = ensure_sample_clinic(conn, date(2027, 1, 11))
        conn.commit()
        import_call_list(conn, clinic, SAMPLE.read_bytes(), filename=SAMPLE.name)
        # The first patient on the list asked not to be called again: the planner must skip them.
        first = conn.execute("SELECT p.phone FROM appointments a JOIN patients p ON p.id = a.patient_id"
                             " WHERE a.clinic_id = %s ORDER BY a.starts_at, a.id LIMIT 1", (clinic["id"],)).fetchone()
        dnc.add(conn, first["phone"], clinic_id=clinic["id"], reason="asked not to be called")
        conn.commit()
        result = planner.explain(conn, clinic, at)
    print(f"plan for {clinic['slug']} at {at.isoformat()} "
          f"(at most {clinic['max_concurrent_calls']} calls at once)")
    print(f"would dial now: {', '.join(d['external_id'] for d in result.dial) or 'nobody'}")
    reasons = Counter(s["reason"] for s in result.skipped)
    print("not now: " + ", ".join(f"{reason}={n}" for reason, n in sorted(reasons.items())))
    for s in result.skipped:
        if s["reason"] == "dnc":
            print(f"  {s['external_id']}: on the do-not-call list")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
