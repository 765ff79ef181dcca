"""The ``TurnCache`` contract (the last N turns per conversation as of a store version,
tombstones, a TTL), run on the Redis cache against a real Redis and on the in-process cache."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from service.adapters.redis import MemoryTurnCache, RedisTurnCache
from service.domain.ports import TurnCache
from service.domain.types import CachedTurns, Role, Turn

_T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _turns(count: int) -> list[Turn]:
    return [
        Turn(
            role=Role.USER if i % 2 == 0 else Role.ASSISTANT,
            content=f"message {i}",
            created_at=_T0 + timedelta(seconds=i),
            provider=None if i % 2 == 0 else "fake-anthropic",
            model=None if i % 2 == 0 else "claude-test",
        )
        for i in range(count)
    ]


def _conversation() -> str:
    return str(uuid.uuid4())


MakeTurnCache = Callable[..., TurnCache]


@pytest.fixture(params=["redis", "memory"])
def make_turns(request: pytest.FixtureRequest) -> MakeTurnCache:
    """Builds turn caches of one implementation; keywords are the constructor's options."""
    if request.param == "memory":
        return MemoryTurnCache
    client: Redis = request.getfixturevalue("redis_client")
    prefix = f"test:{uuid.uuid4().hex}"
    return lambda **options: RedisTurnCache(client, key_prefix=prefix, **options)


async def test_an_unknown_conversation_is_a_miss(make_turns: MakeTurnCache) -> None:
    """Nothing cached gives None, so the caller knows to read the store."""
    assert await make_turns().get_recent(_conversation()) is None


async def test_put_turns_come_back_oldest_first(make_turns: MakeTurnCache) -> None:
    """The cached turns are returned in order with every field intact, with their version."""
    cache = make_turns()
    conversation, turns = _conversation(), _turns(4)
    await cache.put_recent(conversation, turns, version=4)
    assert await cache.get_recent(conversation) == CachedTurns(version=4, turns=tuple(turns))


async def test_only_the_last_max_turns_are_kept(make_turns: MakeTurnCache) -> None:
    """Putting more than max_turns keeps the most recent ones."""
    cache = make_turns(max_turns=3)
    conversation, turns = _conversation(), _turns(7)
    await cache.put_recent(conversation, turns, version=7)
    assert await cache.get_recent(conversation) == CachedTurns(version=7, turns=tuple(turns[-3:]))


async def test_an_empty_conversation_is_a_hit(make_turns: MakeTurnCache) -> None:
    """A conversation cached with no turns yet reads back as an empty entry, not a miss."""
    cache = make_turns()
    conversation = _conversation()
    await cache.put_recent(conversation, [], version=0)
    assert await cache.get_recent(conversation) == CachedTurns(version=0, turns=())


async def test_a_newer_version_replaces_the_entry(make_turns: MakeTurnCache) -> None:
    """A put with a higher version is the whole new state of the entry."""
    cache = make_turns()
    conversation, turns = _conversation(), _turns(4)
    await cache.put_recent(conversation, turns[:2], version=2)
    await cache.put_recent(conversation, turns, version=4)
    assert await cache.get_recent(conversation) == CachedTurns(version=4, turns=tuple(turns))


@pytest.mark.parametrize("older", [2, 4])
async def test_an_older_or_equal_version_never_replaces_the_entry(
    make_turns: MakeTurnCache, older: int
) -> None:
    """A slow writer with an older (or the same) version leaves the newer entry alone."""
    cache = make_turns()
    conversation, turns = _conversation(), _turns(4)
    await cache.put_recent(conversation, turns, version=4)
    await cache.put_recent(conversation, turns[:1], version=older)
    assert await cache.get_recent(conversation) == CachedTurns(version=4, turns=tuple(turns))


async def test_a_tombstone_is_read_back_and_never_overwritten(make_turns: MakeTurnCache) -> None:
    """After mark_deleted the entry reads as deleted, and no put brings turns back."""
    cache = make_turns()
    conversation = _conversation()
    await cache.put_recent(conversation, _turns(2), version=2)
    await cache.mark_deleted(conversation)
    await cache.put_recent(conversation, _turns(4), version=4)
    cached = await cache.get_recent(conversation)
    assert cached is not None
    assert cached.deleted
    assert cached.turns == ()


async def test_conversations_are_cached_apart(make_turns: MakeTurnCache) -> None:
    """One conversation's turns never show up in another's."""
    cache = make_turns()
    first, second = _conversation(), _conversation()
    await cache.put_recent(first, _turns(2), version=2)
    assert await cache.get_recent(second) is None


async def test_invalidate_forgets_the_turns(make_turns: MakeTurnCache) -> None:
    """After invalidate the conversation is a miss (a tombstone too); again is harmless."""
    cache = make_turns()
    conversation = _conversation()
    await cache.put_recent(conversation, _turns(2), version=2)
    await cache.invalidate(conversation)
    assert await cache.get_recent(conversation) is None
    await cache.mark_deleted(conversation)
    await cache.invalidate(conversation)
    assert await cache.get_recent(conversation) is None


async def test_entries_expire_after_the_ttl(make_turns: MakeTurnCache) -> None:
    """An entry and a tombstone are gone once their TTL has passed."""
    cache = make_turns(ttl_seconds=0.2)
    kept, deleted = _conversation(), _conversation()
    await cache.put_recent(kept, _turns(2), version=2)
    await cache.mark_deleted(deleted)
    await asyncio.sleep(0.5)
    assert await cache.get_recent(kept) is None
    assert await cache.get_recent(deleted) is None
