"""One owner per state change: only clinic/appointments/ writes the `appointments` table with UPDATE, so every
status change goes through `clinic.appointments.service.transition` (its guard, its `status_changed_at`, its
audit event). Tests may set rows up directly; migrations may backfill; no other code may."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWNER = ROOT / "clinic" / "appointments"
CHECKED = ("clinic", "dialer", "agent", "token_server", "speech_server", "sim", "examples", "bench", "scripts",
           "deployment")
UPDATE_APPOINTMENTS = re.compile(r"\bUPDATE\s+appointments\b", re.IGNORECASE)


def test_only_the_owner_updates_appointments() -> None:
    offenders = []
    for top in CHECKED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if OWNER in path.parents:
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if UPDATE_APPOINTMENTS.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, ("UPDATE appointments outside clinic/appointments (use service.transition or "
                           "service.update):\n" + "\n".join(offenders))


def test_the_owner_is_where_the_test_looks() -> None:
    # The test above passes vacuously if the owner moves; make sure it still holds the writes.
    assert UPDATE_APPOINTMENTS.search((OWNER / "service.py").read_text())
