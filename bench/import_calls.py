"""Benchmark: import a generated 100,000-row call list into a fresh database, end to end.

End to end = from the file's bytes to the committed transaction: decoding, delimiter sniffing, CSV
parsing, validation (phones, time zones, dates), COPY, set-based upserts, slot linking, the stored report.
The generated file is deliberately messy: mixed phone formats, ISO and US date forms, quoted notes with
commas, a sprinkling of bad rows. Also times a re-upload of the same file (every row unchanged).

    python bench/import_calls.py [--rows 100000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from clinic import clinics
from clinic.call_lists import import_call_list
from clinic.migrate import migrate
from clinic.settings import get_settings

TARGET_ROWS_PER_S = 15_000
FIRST = ["José", "Maria", "James", "Li", "Aisha", "Olivia", "Noah", "Emma", "Liam", "Sofia", "Mateo", "Chloé",
         "Ethan", "Zoë", "Amir", "Grace", "Hiro", "Fatima", "Lucas", "Ava"]
LAST = ["García", "Smith", "Nguyen", "Patel", "O'Brien", "Kim", "Johnson", "Müller", "Rossi", "Cohen",
        "Okafor", "Silva", "Brown", "Lee", "Martin", "Dubois", "Khan", "Lopez", "Wilson", "Novak"]
AREA_CODES = ["212", "646", "718", "917", "347", "415", "510", "312", "773", "617", "305", "213", "206", "512",
              "404", "303", "602", "702", "503", "615"]
PROVIDERS = ["Dr. Patel", "Dr. Nguyen", "Dr. Okafor", "Dr. Silva"]


def generate(rows: int, now: datetime, seed: int = 7) -> bytes:
    """A call list like a real scheduling-system export: 1 in 200 rows has an error."""
    rnd = random.Random(seed)
    tz = ZoneInfo("America/New_York")
    lines = ["Appointment ID,Patient Name,Phone,Appointment Start,Duration,Provider,Location,Timezone,Notes"]
    patients = [(f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
                 f"{rnd.choice(AREA_CODES)}{rnd.randint(200, 999)}{rnd.randint(0, 9999):04d}")
                for _ in range(rows * 7 // 10)]
    for i in range(rows):
        name, digits = rnd.choice(patients)
        style = i % 4
        phone = (f"({digits[:3]}) {digits[3:6]}-{digits[6:]}", f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
                 f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}", digits)[style]
        start = (now + timedelta(days=rnd.randint(1, 60))).astimezone(tz).replace(
            hour=rnd.randint(8, 16), minute=rnd.choice((0, 15, 30, 45)), second=0, microsecond=0)
        start_text = (start.strftime("%Y-%m-%dT%H:%M:%S%z"), start.strftime("%Y-%m-%d %H:%M"),
                      start.strftime("%m/%d/%Y %I:%M %p"), start.strftime("%Y-%m-%d %H:%M"))[style]
        notes = '"Follow-up, bring labs"' if i % 5 == 0 else ""
        if i % 200 == 199:
            phone = "555-12"  # rejected: not a phone number
        lines.append(f"APT-{i:07d},{name},{phone},{start_text},{rnd.choice((15, 30, 45, 60))},"
                     f"{rnd.choice(PROVIDERS)},Main Street office,,{notes}")
    return ("\r\n".join(lines) + "\r\n").encode()


def _server_cpu(pid: int) -> float:
    """CPU seconds used so far by the Postgres backend serving us (same machine: read /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    base = get_settings().database_url
    dbname = f"cd_bench_import_{os.getpid()}"
    params = conninfo_to_dict(base)
    params["dbname"] = dbname
    url = make_conninfo(**params)
    admin = make_conninfo(base, dbname="postgres")
    now = datetime.now(UTC)
    data = generate(args.rows, now)
    print(f"generated {args.rows:,} rows, {len(data) / 1e6:.1f} MB")
    try:
        migrate(url)
        with psycopg.connect(url, row_factory=dict_row) as conn:
            clinic = clinics.create_clinic(conn, slug="bench", name="Bench Clinic", timezone="America/New_York",
                                           state="NY")
            conn.commit()
            backend = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
            load_before = os.getloadavg()[0]
            c0, s0, t0 = time.process_time(), _server_cpu(backend), time.perf_counter()
            first = import_call_list(conn, clinic, data, filename="bench.csv", now=now)
            c1, s1, t1 = time.process_time(), _server_cpu(backend), time.perf_counter()
            second = import_call_list(conn, clinic, data, filename="bench.csv", now=now)
            c2, s2, t2 = time.process_time(), _server_cpu(backend), time.perf_counter()
        rate1 = args.rows / (t1 - t0)
        rate2 = args.rows / (t2 - t1)
        print(f"load average before: {load_before:.2f} on {os.cpu_count()} cores (other work slows wall time)")
        print(f"first import:  {t1 - t0:.2f} s wall  {rate1:,.0f} rows/s  (imported {first.imported:,}, "
              f"rejected {first.rejected:,}); CPU: python {c1 - c0:.2f} s, postgres {s1 - s0:.2f} s")
        print(f"re-upload:     {t2 - t1:.2f} s wall  {rate2:,.0f} rows/s  (unchanged {second.unchanged:,}, "
              f"imported {second.imported}, updated {second.updated}); CPU: python {c2 - c1:.2f} s, "
              f"postgres {s2 - s1:.2f} s")
        ok = rate1 >= TARGET_ROWS_PER_S
        print(f"target {TARGET_ROWS_PER_S:,} rows/s end to end: {'met' if ok else 'NOT met'}")
        return 0
    finally:
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


if __name__ == "__main__":
    raise SystemExit(main())
