"""Exit 0 if the named service answers with the project's settings: postgres, postgres-socket, redis."""

from __future__ import annotations

import sys

import psycopg
import redis
from psycopg.conninfo import make_conninfo

from clinic.settings import get_settings


def main(what: str) -> int:
    s = get_settings()
    try:
        if what == "postgres":
            psycopg.connect(make_conninfo(s.database_url, dbname="postgres"), connect_timeout=3).close()
        elif what == "postgres-socket":
            psycopg.connect("dbname=postgres user=postgres", connect_timeout=3).close()
        elif what == "redis":
            redis.Redis.from_url(s.redis_url, socket_connect_timeout=3).ping()
        else:
            raise SystemExit(f"unknown service {what!r}")
    except (psycopg.OperationalError, redis.exceptions.RedisError):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
