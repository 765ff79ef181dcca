"""Choose a Redis rate limiter by algorithm name (a service setting)."""

from __future__ import annotations

from typing import Literal

from redis.asyncio import Redis

from service.adapters.redis.gcra import RedisGcraRateLimiter
from service.adapters.redis.ratelimit import RedisRateLimiter
from service.domain.ports import RateLimiter

__all__ = ["RATE_LIMIT_ALGORITHMS", "RateLimitAlgorithm", "create_rate_limiter"]

RateLimitAlgorithm = Literal["gcra", "moving-window"]
RATE_LIMIT_ALGORITHMS: tuple[RateLimitAlgorithm, ...] = ("gcra", "moving-window")
"""Accepted names, the default first."""


def create_rate_limiter(
    client: Redis, *, algorithm: RateLimitAlgorithm = "gcra", key_prefix: str = "chat:ratelimit"
) -> RateLimiter:
    """A rate limiter on ``client`` (which the caller keeps and closes).

    - ``gcra``: :class:`RedisGcraRateLimiter`, one Lua call per request on Redis's clock
      (the default: about half the latency and client CPU of the other);
    - ``moving-window``: :class:`RedisRateLimiter`, the ``limits`` library's exact moving
      window, two Lua calls per request on the service's clock.

    Raises ``ValueError`` naming the algorithm when it is neither.
    """
    if algorithm == "gcra":
        return RedisGcraRateLimiter(client, key_prefix=f"{key_prefix}:gcra")
    if algorithm == "moving-window":
        return RedisRateLimiter(client, key_prefix=f"{key_prefix}:mw")
    raise ValueError(
        f"unknown rate limit algorithm {algorithm!r}; expected one of {RATE_LIMIT_ALGORITHMS}"
    )
