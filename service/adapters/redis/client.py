"""One ``redis.asyncio.Redis`` client per service, shared by every Redis adapter.

Whoever calls :func:`create_redis_client` owns the client and closes it with
``await client.aclose()``; the adapters built on it never close it.

Every adapter command runs inside :func:`redis_errors` with the client's
:class:`RedisCircuit` (see :mod:`service.adapters.redis.circuit`): after a timeout or a
connection failure, commands are refused at once for a cool-down instead of each paying
the socket timeout, so a fail-open service stays fast while Redis does not answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from service.adapters.redis.circuit import RedisCircuit, is_outage, redis_circuit, register_circuit
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
    cooldown_seconds: float = 1.0,
) -> Redis:
    """Build a client from a ``redis://`` / ``rediss://`` / ``unix://`` URL without connecting.

    Timeouts are short on purpose: Redis answers in well under a millisecond when healthy,
    and the chat service would rather apply its fail-open/fail-closed policy than wait.
    ``retries`` immediate retries (no backoff) cover a pooled connection that died while
    idle, e.g. after a Redis restart; backoff belongs to the caller's policy, not here.
    Timeouts are never retried: a Redis that stops answering costs a command at most
    ``connect_timeout + socket_timeout`` before ``DependencyUnavailable``, and then the
    client's circuit refuses commands for ``cooldown_seconds`` (see :class:`RedisCircuit`).
    Replies are bytes (``decode_responses=False``): the adapters store msgpack.
    """
    client = Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=connect_timeout,
        socket_keepalive=True,
        health_check_interval=health_check_interval,
        max_connections=max_connections,
        retry=Retry(NoBackoff(), retries, supported_errors=(RedisConnectionError,)),
        decode_responses=False,
    )
    register_circuit(client, RedisCircuit(cooldown_seconds=cooldown_seconds))
    return client


async def ping_redis(client: Redis) -> bool:
    """``True`` when Redis answers ``PING``. Never raises.

    The probe always reaches Redis (the circuit does not refuse it) and its outcome
    feeds the client's circuit: an answer closes it, a timeout or refusal opens it.
    """
    circuit = redis_circuit(client)
    try:
        up = bool(await client.ping())
    except (RedisError, OSError, TimeoutError) as exc:
        if is_outage(exc):
            circuit.failure()
        return False
    circuit.success()
    return up


@contextmanager
def redis_errors(operation: str, *, circuit: RedisCircuit | None = None) -> Iterator[None]:
    """Turn driver failures (connection, timeout, server errors) inside the block into
    ``DependencyUnavailable(dependency="redis")``, naming ``operation`` in the detail.

    With ``circuit``: while it is open the block does not run (``DependencyUnavailable``
    at once, counted in ``circuit.skipped``), and the block's outcome is reported to it.
    """
    if circuit is not None and not circuit.allow():
        raise DependencyUnavailable(
            f"redis {operation} skipped: Redis failed moments ago", dependency=DEPENDENCY
        )
    try:
        yield
    except (RedisError, OSError, TimeoutError) as exc:
        if circuit is not None:
            if is_outage(exc):
                circuit.failure()
            else:
                circuit.success()  # Redis answered, with an error of this command
        raise DependencyUnavailable(
            f"redis {operation} failed: {type(exc).__name__}", dependency=DEPENDENCY
        ) from exc
    except BaseException:
        if circuit is not None:
            circuit.release()
        raise
    if circuit is not None:
        circuit.success()
