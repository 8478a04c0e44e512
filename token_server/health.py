"""GET /health: can this process reach Postgres and Redis? 503 when either is down, for load balancers."""

from __future__ import annotations

import redis
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from clinic import db
from clinic.settings import get_settings

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    postgres: str
    redis: str


def _postgres() -> str:
    try:
        with db.get_pool().connection(timeout=3) as conn:
            conn.execute("SELECT 1")
        return "ok"
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"


def _redis() -> str:
    try:
        client = redis.Redis.from_url(get_settings().redis_url, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
        client.close()
        return "ok"
    except redis.RedisError as exc:
        return f"unreachable: {type(exc).__name__}"


@router.get("/health", response_model=Health, responses={503: {"model": Health, "description": "a dependency is down"}})
def health() -> JSONResponse:
    result = Health(status="ok", postgres=_postgres(), redis=_redis())
    if result.postgres != "ok" or result.redis != "ok":
        result.status = "degraded"
    return JSONResponse(result.model_dump(), status_code=200 if result.status == "ok" else 503)
