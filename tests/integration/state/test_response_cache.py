"""The ``ResponseCache`` contract (deterministic requests only, with a TTL), run on the
Redis cache against a real Redis and on the in-process cache."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import msgspec
import pytest
from redis.asyncio import Redis

from service.adapters.redis import MemoryResponseCache, RedisResponseCache, response_cache_key
from service.domain.ports import ResponseCache
from service.domain.types import ChatRequest, Completion, Message, Role, Usage

REQUEST = ChatRequest(
    model="gpt-test",
    messages=(Message(Role.SYSTEM, "be brief"), Message(Role.USER, "2+2?")),
    max_tokens=64,
    temperature=0.0,
)
ANSWER = Completion(
    text="4", provider="fake-openai", model="gpt-test", usage=Usage(input_tokens=7, output_tokens=1)
)


MakeCache = Callable[[float], ResponseCache]


@pytest.fixture(params=["redis", "memory"])
def make_cache(request: pytest.FixtureRequest) -> MakeCache:
    """Builds caches of one implementation from a TTL in seconds."""
    if request.param == "memory":
        return lambda ttl: MemoryResponseCache(ttl_seconds=ttl)
    client: Redis = request.getfixturevalue("redis_client")
    return lambda ttl: RedisResponseCache(
        client, ttl_seconds=ttl, key_prefix=f"test:{uuid.uuid4().hex}"
    )


async def test_a_put_answer_is_a_hit(make_cache: MakeCache) -> None:
    """After put, the same deterministic request gets the same completion back."""
    cache = make_cache(60.0)
    assert await cache.get(REQUEST) is None
    await cache.put(REQUEST, ANSWER)
    assert await cache.get(REQUEST) == ANSWER


async def test_an_equal_request_built_anew_is_a_hit(make_cache: MakeCache) -> None:
    """The key depends on the request's content, not on the object."""
    cache = make_cache(60.0)
    await cache.put(REQUEST, ANSWER)
    rebuilt = msgspec.json.decode(msgspec.json.encode(REQUEST), type=ChatRequest)
    assert await cache.get(rebuilt) == ANSWER


@pytest.mark.parametrize(
    "changes",
    [
        {"temperature": 0.5},
        {"model": "other-model"},
        {"messages": (Message(Role.USER, "3+3?"),)},
        {"max_tokens": 65},
        {"top_p": 0.9},
        {"stop": ("\n",)},
    ],
    ids=["temperature", "model", "messages", "max_tokens", "top_p", "stop"],
)
async def test_a_different_request_is_a_miss(
    make_cache: MakeCache, changes: dict[str, object]
) -> None:
    """Changing the model, the messages or any parameter misses the cached answer."""
    cache = make_cache(60.0)
    await cache.put(REQUEST, ANSWER)
    assert await cache.get(msgspec.structs.replace(REQUEST, **changes)) is None


async def test_entries_expire_after_the_ttl(make_cache: MakeCache) -> None:
    """An entry is gone once its TTL has passed."""
    cache = make_cache(0.2)
    await cache.put(REQUEST, ANSWER)
    await asyncio.sleep(0.5)
    assert await cache.get(REQUEST) is None


async def test_non_deterministic_requests_are_never_cached(make_cache: MakeCache) -> None:
    """A request with temperature above zero is never answered from the cache."""
    cache = make_cache(60.0)
    hot = msgspec.structs.replace(REQUEST, temperature=0.7)
    await cache.put(hot, ANSWER)
    assert await cache.get(hot) is None


async def test_non_deterministic_requests_write_nothing_to_redis(redis_client: Redis) -> None:
    """A request with temperature above zero leaves no key in Redis."""
    prefix = f"test:{uuid.uuid4().hex}"
    cache = RedisResponseCache(redis_client, key_prefix=prefix)
    hot = msgspec.structs.replace(REQUEST, temperature=0.7)
    await cache.put(hot, ANSWER)
    assert await cache.get(hot) is None
    assert [key async for key in redis_client.scan_iter(match=f"{prefix}:*")] == []


async def test_an_undecodable_entry_is_a_miss(redis_client: Redis) -> None:
    """A corrupt or old-format entry is treated as absent, not as an error."""
    cache = RedisResponseCache(redis_client, key_prefix="test:corrupt")
    await redis_client.set(response_cache_key(REQUEST, prefix="test:corrupt"), b"\xc1garbage")
    assert await cache.get(REQUEST) is None


def test_the_key_is_stable_and_versioned() -> None:
    """Equal requests give one key, prefixed and versioned; different requests differ."""
    key = response_cache_key(REQUEST, prefix="p")
    assert key == response_cache_key(msgspec.structs.replace(REQUEST), prefix="p")
    assert key.startswith("p:v1:")
    assert key != response_cache_key(msgspec.structs.replace(REQUEST, max_tokens=1), prefix="p")
