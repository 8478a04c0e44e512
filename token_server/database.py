"""One pooled Postgres connection per request, shared by the auth dependency and the view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends

from clinic import db


def get_conn() -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """Yield a connection; views that write commit explicitly, anything left open is rolled back."""
    with db.get_pool().connection() as conn:
        try:
            yield conn
        finally:
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.rollback()


Conn = Annotated[psycopg.Connection[dict[str, Any]], Depends(get_conn)]
