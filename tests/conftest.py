"""Shared fixtures. Every test gets its own Postgres database, cloned from a template migrated once
per test process, so tests run in any order and in parallel; Redis users get a unique key prefix."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from clinic import clinics, db
from clinic.migrate import migrate
from clinic.settings import get_settings

BASE_URL = get_settings().database_url
READY_SETTINGS = {"sip_trunk_id": "ST_test_trunk", "caller_id": "+12125550100", "callback_number": "+12125550100",
                  "transfer_number": "+12125550101"}


def _admin_url() -> str:
    return make_conninfo(BASE_URL, dbname="postgres")


def _url_for(dbname: str) -> str:
    params = conninfo_to_dict(BASE_URL)
    params["dbname"] = dbname
    return make_conninfo(**params)


def _drop(dbname: str) -> None:
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


@pytest.fixture(scope="session")
def template_db() -> Iterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"cd_tmpl_{worker}_{os.getpid()}"
    _drop(name)
    migrate(_url_for(name))
    yield name
    _drop(name)


@pytest.fixture
def db_url(template_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated database for this test; DATABASE_URL points at it while the test runs."""
    name = f"cd_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template_db)))
    url = _url_for(name)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    db.close_pools()
    get_settings.cache_clear()
    _drop(name)


@pytest.fixture
def empty_db_url() -> Iterator[str]:
    """A database name that does not exist yet (for migration-runner tests)."""
    name = f"cd_empty_{uuid.uuid4().hex[:12]}"
    yield _url_for(name)
    _drop(name)


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with psycopg.connect(db_url, row_factory=dict_row) as c:
        yield c


@pytest.fixture
def make_clinic(conn: psycopg.Connection[dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Create a committed clinic: make_clinic(slug="x", timezone=..., state=..., **columns)."""
    counter = iter(range(1, 10_000))

    def _make(slug: str | None = None, *, timezone: str = "America/New_York", state: str | None = "NY",
              calling_hours: str = "09:00-19:00", name: str | None = None, ready: bool = True,
              **extra: Any) -> dict[str, Any]:
        """`ready` (default): the clinic has what the planner requires (clinic.readiness): a trunk id, caller
        id, callback and transfer numbers, and one free slot (far ahead, so it never meets a test's own)."""
        slug = slug or f"clinic-{next(counter)}"
        if ready:
            extra = {**READY_SETTINGS, **extra}
        row = clinics.create_clinic(conn, slug=slug, name=name or f"{slug.title()} Clinic", timezone=timezone,
                                    state=state, calling_hours=calling_hours, **extra)
        if ready:
            conn.execute("INSERT INTO slots (clinic_id, provider, starts_at) VALUES (%s, 'Readiness fixture',"
                         " '2100-01-04T15:00:00Z')", (row["id"],))
        conn.commit()
        return row

    return _make


@pytest.fixture
def redis_url() -> str:
    return get_settings().redis_url


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test (or concurrent test run) shares."""
    return f"test:{uuid.uuid4().hex[:10]}:"
