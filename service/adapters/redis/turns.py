"""Recent conversation turns cached in Redis (the seed's sessions).

One Redis string per conversation holds the msgpack list of its last ``max_turns``
turns, oldest first, written whole with a TTL. A chat turn reads it instead of the
store; on a miss the caller reads the store and puts the result back.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from redis.asyncio import Redis

from service.adapters.redis.circuit import redis_circuit
from service.adapters.redis.client import ping_redis, redis_errors
from service.domain.types import Turn

__all__ = ["RedisTurnCache"]

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list[Turn])


class RedisTurnCache:
    """``TurnCache`` over a shared ``redis.asyncio.Redis`` (it does not close it).

    - :meth:`put_recent` replaces the cached turns with the last ``max_turns`` of
      ``turns`` (an empty sequence is cached too: a new conversation is a hit) and
      restarts the TTL;
    - :meth:`get_recent` returns them oldest first, or ``None`` on a miss (never cached,
      expired, invalidated, or an entry that no longer decodes);
    - :meth:`invalidate` drops the entry (after a delete, or when a write failed).

    Redis failures raise ``DependencyUnavailable(dependency="redis")``.
    """

    def __init__(
        self,
        client: Redis,
        *,
        max_turns: int = 20,
        ttl_seconds: float = 3600.0,
        key_prefix: str = "chat:turns",
    ) -> None:
        if max_turns <= 0:
            raise ValueError("max_turns must be positive")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._client = client
        self._circuit = redis_circuit(client)
        self._max_turns = max_turns
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._prefix = key_prefix

    @property
    def max_turns(self) -> int:
        """How many turns an entry keeps."""
        return self._max_turns

    def _key(self, conversation_id: str) -> str:
        return f"{self._prefix}:{conversation_id}"

    async def get_recent(self, conversation_id: str) -> list[Turn] | None:
        """The cached recent turns, oldest first, or ``None`` on a miss."""
        with redis_errors("turn cache get", circuit=self._circuit):
            raw = await self._client.get(self._key(conversation_id))
        if not isinstance(raw, bytes):  # None is a miss; str means a misbuilt client
            return None
        try:
            return _decoder.decode(raw)
        except msgspec.DecodeError:
            return None

    async def put_recent(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        """Cache the last ``max_turns`` of ``turns`` (oldest first) with the TTL."""
        recent = list(turns[-self._max_turns :])
        with redis_errors("turn cache put", circuit=self._circuit):
            await self._client.set(
                self._key(conversation_id), _encoder.encode(recent), px=self._ttl_ms
            )

    async def invalidate(self, conversation_id: str) -> None:
        """Forget the conversation's cached turns (no error when there were none)."""
        with redis_errors("turn cache invalidate", circuit=self._circuit):
            await self._client.delete(self._key(conversation_id))

    async def ping(self) -> bool:
        """``True`` when Redis answers. Never raises."""
        return await ping_redis(self._client)

    async def aclose(self) -> None:
        """Nothing to release: the client belongs to whoever created it."""
