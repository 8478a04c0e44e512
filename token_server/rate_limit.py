"""A fixed-window limiter in Redis (INCR + EXPIRE): enough to stop a page left clicking "Start call" from
placing dozens of real calls, and shared by every token-server process."""

from __future__ import annotations

import time
from functools import lru_cache

import redis
from fastapi import HTTPException, status

from clinic.settings import get_settings


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def hit(bucket: str, limit: int, window_seconds: int = 60, *, now: float | None = None) -> tuple[bool, int]:
    """Count one use of `bucket`. Returns (allowed, seconds until the window resets)."""
    now = time.time() if now is None else now
    window = int(now // window_seconds)
    settings = get_settings()
    key = f"{settings.rate_limit_key_prefix}{bucket}:{window}"
    client = _client(settings.redis_url)
    pipe = client.pipeline()
    pipe.incr(key)
    pipe.expire(key, window_seconds * 2)
    count, _ = pipe.execute()
    retry_after = int(window_seconds - (now % window_seconds)) or 1
    return int(count) <= limit, retry_after


def enforce(bucket: str, limit: int, window_seconds: int = 60) -> None:
    """Raise 429 with Retry-After when `bucket` is over `limit` uses in the current window."""
    try:
        allowed, retry_after = hit(bucket, limit, window_seconds)
    except redis.RedisError:
        # Fail closed: without the limiter we cannot promise staff will not dial in a loop.
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "rate limiter unavailable (Redis unreachable); try again shortly") from None
    if not allowed:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"too many test calls: at most {limit} per {window_seconds} seconds",
                            headers={"Retry-After": str(retry_after)})
