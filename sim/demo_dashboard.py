"""`python -m sim.demo_dashboard` (run by `make demo`): leave the demo night's dashboard up.

Mints a fresh API key for the sample clinic (revoking the previous demo key), starts the token server in
the background if nothing answers on its port yet, and prints the URL to open. The key travels in the
URL's fragment (`#key=`), which browsers never send to the server; the page moves it into session storage.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from clinic import clinics
from clinic.db import connect
from clinic.settings import get_settings
from sim.seed import SAMPLE_SLUG

DEMO_LABEL = "demo dashboard"
RUN_DIR = Path(os.environ.get("DEMO_RUN_DIR") or Path(__file__).resolve().parents[1] / ".run")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as r:
            return r.status in (200, 503)
    except OSError:
        return False


def _key_works(base: str, key: str) -> bool:
    """The server on the port is ours and reads this database: the fresh key is accepted."""
    req = urllib.request.Request(base + "/api/me", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def main() -> int:
    settings = get_settings()
    base = f"http://{settings.token_server_host}:{settings.token_server_port}"
    with connect() as conn:
        clinic = clinics.get_by_slug(conn, SAMPLE_SLUG)
        conn.execute("UPDATE api_keys SET revoked_at = now() WHERE clinic_id = %s AND label = %s"
                     " AND revoked_at IS NULL", (clinic["id"], DEMO_LABEL))
        key = clinics.create_api_key(conn, clinic["id"], label=DEMO_LABEL)
        conn.commit()
        # Open the night's first calling day (most calls); later days hold only the retries.
        first = conn.execute(
            "SELECT min((planned_at AT TIME ZONE %s)::date) AS d FROM call_attempts WHERE clinic_id = %s",
            (clinic["timezone"], clinic["id"])).fetchone()
    day = f"&date={first['d'].isoformat()}" if first and first["d"] else ""
    if not _answers(base):
        RUN_DIR.mkdir(exist_ok=True)
        log = (RUN_DIR / "token_server.log").open("ab")
        proc = subprocess.Popen([sys.executable, "-m", "token_server"], stdout=log, stderr=log,
                                start_new_session=True, env=os.environ.copy())
        (RUN_DIR / "token_server.pid").write_text(str(proc.pid))
        deadline = time.monotonic() + 20
        while not _answers(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                print(f"token server did not start; see {RUN_DIR / 'token_server.log'}", file=sys.stderr)
                return 1
            time.sleep(0.2)
        started = f"started in the background (pid {proc.pid}; stop it with `kill {proc.pid}`)"
    else:
        started = "already running"
    if not _key_works(base, key.key):
        print(f"something else answers on {base} (an older token server, or one using another database):"
              f" stop it, e.g. `kill $(cat {RUN_DIR / 'token_server.pid'})`, and run `make demo` again",
              file=sys.stderr)
        return 1
    print(f"dashboard: {base}/#key={key.key}{day}")
    print(f"  token server {started}; the API key above is for {SAMPLE_SLUG} only (label {DEMO_LABEL!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
