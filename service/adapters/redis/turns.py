"""Recent conversation turns cached in Redis (the seed's sessions), versioned.

One Redis hash per conversation: ``v`` the store's version of the entry (the
conversation's ``turn_count`` when its turns were read), ``t`` the msgpack list of its
last ``max_turns`` turns, oldest first, or ``d`` for a tombstone left by a delete. The
chat domain uses an entry only when its version equals the store's ``turn_count``, so a
stale entry costs a store read, never a wrong context. Writes go through one Lua call
that refuses to move an entry back (a slower writer with an older version) or to
overwrite a tombstone (a reader refilling a conversation being deleted).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from redis.asyncio import Redis

from service.adapters.redis.circuit import redis_circuit
from service.adapters.redis.client import ping_redis, redis_errors
from service.adapters.redis.codec import decode_or_miss
from service.adapters.redis.pipeline import auto_pipeline
from service.domain.types import CachedTurns, Turn

__all__ = ["MARK_DELETED_SCRIPT", "PUT_SCRIPT", "RedisTurnCache"]

PUT_SCRIPT = """
-- KEYS[1]: the entry; ARGV: version, msgpack turns, ttl (ms).
if redis.call('HEXISTS', KEYS[1], 'd') == 1 then return 0 end
local current = tonumber(redis.call('HGET', KEYS[1], 'v'))
if current ~= nil and current >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 't', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
"""Store an entry unless a tombstone or an entry as new or newer is there."""

MARK_DELETED_SCRIPT = """
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'd', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""
"""Replace the entry with a tombstone, atomically."""

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(tuple[Turn, ...])


class RedisTurnCache:
    """``TurnCache`` over a shared ``redis.asyncio.Redis`` (it does not close it).

    - :meth:`put_recent` stores the last ``max_turns`` of ``turns`` as of ``version``
      (an empty sequence too: a new conversation is a hit) and restarts the TTL, unless
      a tombstone or an entry of the same or a newer version is there;
    - :meth:`get_recent` returns the entry or the tombstone, ``None`` on a miss (never
      cached, expired, invalidated, or an entry that no longer decodes);
    - :meth:`mark_deleted` leaves a tombstone for the TTL (a delete);
    - :meth:`invalidate` drops whatever is there.

    Redis failures raise ``DependencyUnavailable(dependency="redis")``.
    """

    def __init__(
        self,
        client: Redis,
        *,
        max_turns: int = 20,
        ttl_seconds: float = 3600.0,
        key_prefix: str = "chat:turns:v2",
    ) -> None:
        if max_turns <= 0:
            raise ValueError("max_turns must be positive")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._client = client
        self._circuit = redis_circuit(client)
        self._pipe = auto_pipeline(client)
        self._put = client.register_script(PUT_SCRIPT)
        self._mark = client.register_script(MARK_DELETED_SCRIPT)
        self._max_turns = max_turns
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._prefix = key_prefix

    @property
    def max_turns(self) -> int:
        """How many turns an entry keeps."""
        return self._max_turns

    def _key(self, conversation_id: str) -> str:
        return f"{self._prefix}:{conversation_id}"

    async def get_recent(self, conversation_id: str) -> CachedTurns | None:
        """The entry or tombstone, ``None`` on a miss."""
        with redis_errors("turn cache get", circuit=self._circuit):
            version, raw, deleted = await self._pipe.execute(
                "HMGET", self._key(conversation_id), "v", "t", "d"
            )
        if deleted is not None:
            return CachedTurns(deleted=True)
        turns = decode_or_miss(_decoder, raw)
        if turns is None or version is None:
            return None
        return CachedTurns(version=int(version), turns=turns)

    async def put_recent(
        self, conversation_id: str, turns: Sequence[Turn], *, version: int
    ) -> None:
        """Cache the last ``max_turns`` of ``turns`` as of ``version`` with the TTL."""
        recent = tuple(turns[-self._max_turns :])
        with redis_errors("turn cache put", circuit=self._circuit):
            await self._put(
                keys=[self._key(conversation_id)],
                args=[version, _encoder.encode(recent), self._ttl_ms],
            )

    async def mark_deleted(self, conversation_id: str) -> None:
        """Leave a tombstone for the TTL in place of the entry."""
        with redis_errors("turn cache tombstone", circuit=self._circuit):
            await self._mark(keys=[self._key(conversation_id)], args=[self._ttl_ms])

    async def invalidate(self, conversation_id: str) -> None:
        """Forget the conversation's entry or tombstone (no error when there was none)."""
        with redis_errors("turn cache invalidate", circuit=self._circuit):
            await self._client.delete(self._key(conversation_id))

    async def ping(self) -> bool:
        """``True`` when Redis answers. Never raises."""
        return await ping_redis(self._client)

    async def aclose(self) -> None:
        """Nothing to release: the client belongs to whoever created it."""
