"""Import a call list: CSV bytes -> validated rows -> patients and appointments, with a per-row report.

    python examples/import_call_list.py [path/to/list.csv]

Good rows are imported even when other rows are bad; every rejected row is named with its column and
the reason. Importing the same file again changes nothing (every row counts as `unchanged`).
Reads DATABASE_URL from the settings (.env or the environment)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from clinic.call_lists.importer import import_call_list
from clinic.call_lists.report import WholeFileError
from clinic.db import connect
from sim.seed import ensure_sample_clinic

SAMPLE = Path(__file__).with_name("call_list.csv")
# One deliberately bad row to show the per-row errors: no phone number and a start time that is not a time.
BAD_ROW = b"SFM-9999,Bad Row,,2027-01-13 25:99,30,Dr. Patel,Main Street office,,confirmer\n"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else SAMPLE
    data = path.read_bytes()
    if not argv:
        data = data.rstrip(b"\n") + b"\n" + BAD_ROW
    with connect() as conn:
        clinic = ensure_sample_clinic(conn, date(2027, 1, 11))
        conn.commit()
        try:
            first = import_call_list(conn, clinic, data, filename=path.name)
            again = import_call_list(conn, clinic, data, filename=path.name)
        except WholeFileError as exc:
            print(f"the whole file was rejected: {exc}")
            return 1
    print(f"first upload:  imported={first.imported} updated={first.updated} unchanged={first.unchanged} "
          f"rejected={first.rejected}")
    for error in first.errors:
        print(f"  row {error['row']}, column {error['column']}: {error['message']}")
    print(f"second upload: imported={again.imported} updated={again.updated} unchanged={again.unchanged} "
          f"rejected={again.rejected}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
