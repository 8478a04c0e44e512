"""Postgres access: one pool per process, dict rows, explicit transactions.

Everything durable lives here; Redis and LiveKit are allowed to forget, Postgres is not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from clinic.logs import get_logger
from clinic.settings import get_settings

log = get_logger("clinic.db")
T = TypeVar("T")
_pools: dict[str, ConnectionPool[psycopg.Connection[DictRow]]] = {}
# How long a write that must not be lost (a call's outcome) keeps trying while Postgres is unreachable. Below the
# reaper's grace after a room closes (ROOM_FINISHED_GRACE_SECONDS, 120 s), so the real outcome lands first.
OUTAGE_RETRY_SECONDS = 90.0


def get_pool(url: str | None = None) -> ConnectionPool[psycopg.Connection[DictRow]]:
    """Return the process-wide pool for `url` (default: settings), opening it on first use."""
    settings = get_settings()
    url = url or settings.database_url
    pool = _pools.get(url)
    if pool is None:
        pool = ConnectionPool(
            url,
            connection_class=psycopg.Connection[DictRow],
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            kwargs={"row_factory": dict_row, "autocommit": False},
            # Checked on checkout: after a Postgres restart every idle pooled connection is dead, and without the
            # check each one fails its next caller once (found by the real-stack Postgres restart test).
            check=ConnectionPool.check_connection,
            open=True,
            name="clinic",
        )
        _pools[url] = pool
    return pool


def close_pools() -> None:
    for pool in _pools.values():
        pool.close()
    _pools.clear()


@contextmanager
def connection(url: str | None = None) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """A pooled connection; the block is one transaction (commit on success, rollback on error)."""
    with get_pool(url).connection() as conn:
        yield conn


def connect(url: str | None = None, autocommit: bool = False) -> psycopg.Connection[dict[str, Any]]:
    """A dedicated connection, for CLIs and long-held advisory locks."""
    return psycopg.connect(url or get_settings().database_url, row_factory=dict_row, autocommit=autocommit)


def retry_while_unreachable(work: Callable[[], T], *, what: str, seconds: float = OUTAGE_RETRY_SECONDS) -> T:
    """Run `work` (one whole transaction, idempotent) again while Postgres cannot be reached, for up to `seconds`.

    For writes that exist only in this process's memory until they land: a call's outcome and transcript at the
    end of the call, when the patient has hung up and nobody can say it again. Before this, a Postgres restart
    during that write left the attempt for the reaper, which called it `lost` and had the patient dialed again
    (a second voicemail, say). Only connection-level failures are retried (`OperationalError`: refused,
    terminated by a restart, pool timeout); a failed statement is not. `work` must be safe to repeat: a commit
    whose answer was lost may have happened (`finish_attempt` is first-writer-wins)."""
    deadline = time.monotonic() + seconds
    delay = 0.5
    while True:
        try:
            return work()
        except psycopg.OperationalError as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("postgres unreachable, retrying", what=what, error=type(exc).__name__, retry_in=delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
