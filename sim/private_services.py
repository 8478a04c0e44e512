"""A Redis and a Postgres of a test's own, for faults that must not touch the machine's shared ones.

The fault suite flushes Redis and restarts Postgres in the middle of a real night. The Redis and Postgres on
127.0.0.1's default ports serve every session on this machine (and LiveKit's own state), so a test that breaks
one starts a private instance here instead: `redis-server` on a free port with its data in a temporary
directory, and a Postgres cluster made with Debian's `initdb` (/usr/lib/postgresql/<version>/bin) on a free port,
trust authentication on 127.0.0.1 only. The app is pointed at them through DATABASE_URL / REDIS_URL (which the
Celery broker follows). Used by tests/real_stack/test_real_night_faults.py; never by production code."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"{what} did not open port {port} within {timeout:.0f}s:\n{tail}")


@dataclass
class PrivateRedis:
    """`redis-server` on its own port, no persistence: FLUSHALL and kill it at will."""

    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="private-redis-")))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        log = self.workdir / "redis.log"
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.workdir), "--logfile", str(log)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        _wait_port(self.port, 20, "redis-server", log)
        return self

    def flush(self) -> None:
        """FLUSHALL: every queued task, unacked delivery, pacing slot and clock anchor is forgotten."""
        redis.Redis.from_url(self.url).flushall()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> PrivateRedis:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def postgres_bin() -> Path:
    """Debian's newest Postgres binaries (pg_ctl, initdb); PG_BIN overrides."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("no Postgres server binaries in /usr/lib/postgresql/*/bin (Debian package postgresql)")
    return Path(found[-1]).parent


@dataclass
class PrivatePostgres:
    """A Postgres cluster of its own (initdb in a temporary directory, pg_ctl on a free port).

    Postgres refuses to run as root, so when this process is root the cluster belongs to the `postgres` user
    (the data directory lives under /tmp, not under pytest's root-only temporary tree)."""

    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="private-pg-")))
    dbname: str = "dialer"

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    @property
    def log(self) -> Path:
        return self.workdir / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.dbname}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(postgres_bin() / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120,
                              stdin=subprocess.DEVNULL)

    def start(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.workdir, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync",
                  "--locale=C.UTF-8")
        self.pg_start()
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.dbname}"')
        return self

    def pg_start(self) -> None:
        # Sockets in the workdir (not /var/run/postgresql, which the shared server owns). fsync off: the machine
        # does not crash in a test, only Postgres does, and what it wrote to the OS survives that. Commits stay
        # synchronous: an asynchronous commit would be lost by the crash the restart test is about.
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.workdir} -c fsync=off"
                " -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "-t", "60", "start")

    def pg_stop(self, mode: str = "fast") -> None:
        """`immediate` is a crash (no shutdown checkpoint; recovery on the next start), `fast` a clean stop
        that disconnects every client."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.pg_stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *_: object) -> None:
        self.stop()
