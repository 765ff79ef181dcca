"""Response cache in Redis for deterministic chat requests (temperature 0).

The key is a SHA-256 of the msgpack encoding of the whole ``ChatRequest`` (model,
messages, max_tokens, temperature, top_p, stop): msgspec encodes a Struct's fields in
declaration order, so equal requests give equal keys in every process and replica.
Any change to a field (another model, message, temperature...) is another key.
"""

from __future__ import annotations

import hashlib

import msgspec
from redis.asyncio import Redis

from service.adapters.redis.circuit import redis_circuit
from service.adapters.redis.client import ping_redis, redis_errors
from service.adapters.redis.codec import decode_or_miss
from service.adapters.redis.pipeline import auto_pipeline
from service.domain.types import ChatRequest, Completion

__all__ = ["RedisResponseCache", "response_cache_key"]

_KEY_VERSION = "v1"
"""Bump when ``ChatRequest`` or ``Completion`` change shape, to orphan old entries."""

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Completion)


def response_cache_key(request: ChatRequest, *, prefix: str = "chat:cache") -> str:
    """The stable Redis key of ``request``: ``{prefix}:{version}:{sha256 hex}``."""
    digest = hashlib.sha256(_encoder.encode(request)).hexdigest()
    return f"{prefix}:{_KEY_VERSION}:{digest}"


class RedisResponseCache:
    """``ResponseCache`` over a shared ``redis.asyncio.Redis`` (it does not close it).

    Only deterministic requests (``request.deterministic``) are looked up or stored; for
    any other request :meth:`get` returns ``None`` and :meth:`put` does nothing, without
    touching Redis. Entries expire after ``ttl_seconds``. An entry that no longer decodes
    is a miss. Redis failures raise ``DependencyUnavailable(dependency="redis")``.
    Commands go through the client's ``auto_pipeline``, batched with the other requests';
    a write waits up to ``write_delay_seconds`` (5 ms) to travel with other commands (the
    chat service writes in the background, after answering), and is sent before any
    command queued after it, so a lookup that follows a write sees it.
    """

    def __init__(
        self,
        client: Redis,
        *,
        ttl_seconds: float = 300.0,
        key_prefix: str = "chat:cache",
        write_delay_seconds: float = 0.005,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._client = client
        self._write_delay = max(0.0, write_delay_seconds)
        self._pipe = auto_pipeline(client)
        self._circuit = redis_circuit(client)
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._prefix = key_prefix

    async def get(self, request: ChatRequest) -> Completion | None:
        """The cached answer to ``request``, or ``None`` on a miss or a non-deterministic one."""
        if not request.deterministic:
            return None
        key = response_cache_key(request, prefix=self._prefix)
        with redis_errors("cache get", circuit=self._circuit):
            raw = await self._pipe.execute("GET", key)
        return decode_or_miss(_decoder, raw)

    async def put(self, request: ChatRequest, completion: Completion) -> None:
        """Store ``completion`` for ``request`` with the TTL (deterministic requests only)."""
        if not request.deterministic:
            return
        key = response_cache_key(request, prefix=self._prefix)
        with redis_errors("cache put", circuit=self._circuit):
            value = _encoder.encode(completion)
            await self._pipe.execute("SET", key, value, "PX", self._ttl_ms, delay=self._write_delay)

    async def ping(self) -> bool:
        """``True`` when Redis answers. Never raises."""
        return await ping_redis(self._client)

    async def aclose(self) -> None:
        """Nothing to release: the client belongs to whoever created it."""
