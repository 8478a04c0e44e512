"""Postgres access: one pool per process, dict rows, explicit transactions.

Everything durable lives here; Redis and LiveKit are allowed to forget, Postgres is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from clinic.settings import get_settings

_pools: dict[str, ConnectionPool[psycopg.Connection[DictRow]]] = {}


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
