"""Postgres restarts under a running process (issue 14, found by the real-stack night fault suite): pooled
connections are replaced instead of failing their next caller, and a write that must not be lost (a call's
outcome) waits out the outage. On a Postgres cluster of the test's own (sim/private_services.py): the shared one
on the default port is never restarted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from clinic import db
from sim.private_services import PrivatePostgres


@pytest.fixture
def pg() -> Iterator[PrivatePostgres]:
    try:
        cluster = PrivatePostgres().start()
    except (RuntimeError, OSError, FileNotFoundError) as exc:
        pytest.skip(f"no Postgres server binaries to start a private cluster: {exc}")
    try:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE outcomes (attempt_id int PRIMARY KEY, outcome text NOT NULL)")
        yield cluster
    finally:
        pool = db._pools.pop(cluster.url, None)
        if pool is not None:
            pool.close()
        cluster.stop()


def _write(url: str, attempt_id: int) -> None:
    with db.connection(url) as conn:
        conn.execute("INSERT INTO outcomes VALUES (%s, 'voicemail_left') ON CONFLICT DO NOTHING", (attempt_id,))


def _stored(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT attempt_id FROM outcomes ORDER BY 1")]


def test_pooled_connections_survive_a_restart(pg: PrivatePostgres) -> None:
    _write(pg.url, 1)                 # the pool now holds an idle connection to the old server process
    pg.pg_stop("immediate")
    pg.pg_start()
    _write(pg.url, 2)                 # without the checkout check: "server closed the connection unexpectedly"
    assert _stored(pg.url) == [1, 2]


def test_an_outcome_written_during_the_outage_lands_when_postgres_is_back(pg: PrivatePostgres) -> None:
    _write(pg.url, 1)
    pg.pg_stop("immediate")
    with pytest.raises(psycopg.OperationalError):   # what the agent's end-of-call write met before
        psycopg.connect(pg.url, connect_timeout=2).close()
    back = threading.Timer(3.0, pg.pg_start)
    back.start()
    t0 = time.monotonic()
    db.retry_while_unreachable(lambda: _write(pg.url, 2), what="test", seconds=60)
    back.join()
    assert _stored(pg.url) == [1, 2]
    assert 2.5 < time.monotonic() - t0 < 60


def test_a_failed_statement_is_not_retried(pg: PrivatePostgres) -> None:
    calls = []

    def bad() -> None:
        calls.append(1)
        with db.connection(pg.url) as conn:
            conn.execute("INSERT INTO outcomes VALUES (1, NULL)")

    with pytest.raises(psycopg.errors.NotNullViolation):
        db.retry_while_unreachable(bad, what="test", seconds=30)
    assert calls == [1]
