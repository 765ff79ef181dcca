"""One ``redis.asyncio.Redis`` client per service, shared by every Redis adapter.

Whoever calls :func:`create_redis_client` owns the client and closes it with
``await client.aclose()``; the adapters built on it never close it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from service.domain.errors import DependencyUnavailable

__all__ = ["DEPENDENCY", "create_redis_client", "ping_redis", "redis_errors"]

DEPENDENCY = "redis"
"""The ``dependency`` label every Redis adapter puts on ``DependencyUnavailable``."""


def create_redis_client(
    url: str,
    *,
    socket_timeout: float = 0.5,
    connect_timeout: float = 0.5,
    health_check_interval: int = 10,
    max_connections: int = 64,
    retries: int = 1,
) -> Redis:
    """Build a client from a ``redis://`` / ``rediss://`` / ``unix://`` URL without connecting.

    Timeouts are short on purpose: Redis answers in well under a millisecond when healthy,
    and the chat service would rather apply its fail-open/fail-closed policy than wait.
    ``retries`` immediate retries (no backoff) cover a pooled connection that died while
    idle, e.g. after a Redis restart; backoff belongs to the caller's policy, not here.
    Timeouts are retried too, so a Redis that stops answering costs a command at most
    ``(retries + 1) * (connect_timeout + socket_timeout)`` before ``DependencyUnavailable``.
    Replies are bytes (``decode_responses=False``): the adapters store msgpack.
    """
    return Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=connect_timeout,
        socket_keepalive=True,
        health_check_interval=health_check_interval,
        max_connections=max_connections,
        retry=Retry(NoBackoff(), retries),
        retry_on_timeout=False,
        decode_responses=False,
    )


async def ping_redis(client: Redis) -> bool:
    """``True`` when Redis answers ``PING``. Never raises."""
    try:
        return bool(await client.ping())
    except (RedisError, OSError, TimeoutError):
        return False


@contextmanager
def redis_errors(operation: str) -> Iterator[None]:
    """Turn driver failures (connection, timeout, server errors) inside the block into
    ``DependencyUnavailable(dependency="redis")``, naming ``operation`` in the detail."""
    try:
        yield
    except (RedisError, OSError, TimeoutError) as exc:
        raise DependencyUnavailable(
            f"redis {operation} failed: {type(exc).__name__}", dependency=DEPENDENCY
        ) from exc
