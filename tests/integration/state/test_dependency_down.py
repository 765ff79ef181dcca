"""Every state adapter turns an unreachable server into ``DependencyUnavailable`` promptly,
reports ``ping() == False``, and works again once the server is back."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime

import asyncpg
import pytest
from redis.asyncio import Redis

from lab.net import LOOPBACK
from lab.servers import PostgresServer, RedisServer
from service.adapters.redis import (
    RedisGcraRateLimiter,
    RedisRateLimiter,
    RedisResponseCache,
    RedisTurnCache,
    create_redis_client,
    ping_redis,
)
from service.adapters.stores.mongo import MongoConversationStore
from service.adapters.stores.postgres import PostgresConversationStore
from service.domain.errors import DependencyUnavailable
from service.domain.ports import ConversationStore
from service.domain.types import ChatRequest, Completion, Message, RateLimitTier, Role, Turn

TIER = RateLimitTier(name="down", requests=5, period_seconds=60)
REQUEST = ChatRequest(model="m", messages=(Message(Role.USER, "hi"),), temperature=0.0)
ANSWER = Completion(text="hello", provider="p", model="m")
TURN = Turn(role=Role.USER, content="hi", created_at=datetime(2026, 1, 1, tzinfo=UTC))
SOME_ID = str(uuid.uuid4())

_GENEROUS_TIMEOUT = 5.0
"""Client timeouts in the refused-connection tests: failing well under this shows that
a refused connection is reported at once, not after a timeout."""

Call = Callable[[], Awaitable[object]]


async def _fails_within(call: Call, *, dependency: str, seconds: float) -> None:
    started = time.monotonic()
    with pytest.raises(DependencyUnavailable) as raised:
        await call()
    elapsed = time.monotonic() - started
    assert raised.value.dependency == dependency
    assert elapsed < seconds, f"took {elapsed:.2f}s"


def _redis_calls(client: Redis) -> dict[str, Call]:
    limiter = RedisRateLimiter(client)
    gcra = RedisGcraRateLimiter(client)
    cache = RedisResponseCache(client)
    turns = RedisTurnCache(client)
    return {
        "ratelimit.hit": lambda: limiter.hit("k", tier=TIER),
        "gcra.hit": lambda: gcra.hit("k", tier=TIER),
        "cache.get": lambda: cache.get(REQUEST),
        "cache.put": lambda: cache.put(REQUEST, ANSWER),
        "turns.get_recent": lambda: turns.get_recent(SOME_ID),
        "turns.put_recent": lambda: turns.put_recent(SOME_ID, [TURN], version=1),
        "turns.mark_deleted": lambda: turns.mark_deleted(SOME_ID),
        "turns.invalidate": lambda: turns.invalidate(SOME_ID),
    }


def _store_calls(store: ConversationStore) -> dict[str, Call]:
    return {
        "create_conversation": lambda: store.create_conversation(user_id="u"),
        "get_conversation": lambda: store.get_conversation(user_id="u", conversation_id=SOME_ID),
        "list_conversations": lambda: store.list_conversations(user_id="u"),
        "append_turns": lambda: store.append_turns(
            user_id="u", conversation_id=SOME_ID, turns=[TURN]
        ),
        "recent_turns": lambda: store.recent_turns(conversation_id=SOME_ID, limit=5),
        "delete_conversation": lambda: store.delete_conversation(
            user_id="u", conversation_id=SOME_ID
        ),
    }


REDIS_OPS = list(_redis_calls(create_redis_client("redis://127.0.0.1:1/0")))
STORE_OPS = list(_store_calls(PostgresConversationStore("postgresql://u@127.0.0.1:1/db")))


@pytest.fixture
async def refused_redis(closed_port: int) -> AsyncIterator[Redis]:
    """A client of a Redis port that refuses connections."""
    client = create_redis_client(
        f"redis://{LOOPBACK}:{closed_port}/0",
        socket_timeout=_GENEROUS_TIMEOUT,
        connect_timeout=_GENEROUS_TIMEOUT,
    )
    yield client
    await client.aclose()


@pytest.fixture
async def silent_redis(silent_port: int) -> AsyncIterator[Redis]:
    """A client with short timeouts, of a port that accepts and never answers."""
    client = create_redis_client(
        f"redis://{LOOPBACK}:{silent_port}/0", socket_timeout=0.2, connect_timeout=0.2
    )
    yield client
    await client.aclose()


@pytest.mark.parametrize("operation", REDIS_OPS)
async def test_redis_refused_fails_at_once(refused_redis: Redis, operation: str) -> None:
    """A refused Redis connection raises DependencyUnavailable well before any timeout."""
    await _fails_within(
        _redis_calls(refused_redis)[operation],
        dependency="redis",
        seconds=_GENEROUS_TIMEOUT / 2,
    )


@pytest.mark.parametrize("operation", REDIS_OPS)
async def test_redis_silent_fails_after_the_socket_timeout(
    silent_redis: Redis, operation: str
) -> None:
    """A Redis that never answers raises DependencyUnavailable once its short timeout passes."""
    await _fails_within(_redis_calls(silent_redis)[operation], dependency="redis", seconds=3.0)


async def test_redis_pings_are_false_when_down(refused_redis: Redis) -> None:
    """Every Redis adapter's ping, and the client probe, report False instead of raising."""
    assert not await ping_redis(refused_redis)
    assert not await RedisRateLimiter(refused_redis).ping()
    assert not await RedisGcraRateLimiter(refused_redis).ping()
    assert not await RedisResponseCache(refused_redis).ping()
    assert not await RedisTurnCache(refused_redis).ping()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, free to crash."""
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


async def test_redis_adapters_recover_when_redis_returns(own_redis: RedisServer) -> None:
    """After a Redis crash and restart the same client works again, no rebuild needed."""
    client = create_redis_client(own_redis.url)
    limiter = RedisGcraRateLimiter(client)
    try:
        assert (await limiter.hit("k", tier=TIER)).allowed
        own_redis.kill()
        with pytest.raises(DependencyUnavailable):
            await limiter.hit("k", tier=TIER)
        assert not await limiter.ping()
        own_redis.start()
        assert await limiter.ping()
        assert (await limiter.hit("k", tier=TIER)).allowed
    finally:
        await client.aclose()


@pytest.fixture
async def refused_postgres(closed_port: int) -> AsyncIterator[PostgresConversationStore]:
    """A Postgres store whose port refuses connections."""
    store = PostgresConversationStore(
        f"postgresql://postgres@{LOOPBACK}:{closed_port}/postgres",
        connect_timeout=_GENEROUS_TIMEOUT,
        command_timeout=_GENEROUS_TIMEOUT,
    )
    yield store
    await store.aclose()


@pytest.mark.parametrize("operation", STORE_OPS)
async def test_postgres_refused_fails_at_once(
    refused_postgres: PostgresConversationStore, operation: str
) -> None:
    """A refused Postgres connection raises DependencyUnavailable well before any timeout."""
    await _fails_within(
        _store_calls(refused_postgres)[operation],
        dependency="store",
        seconds=_GENEROUS_TIMEOUT / 2,
    )


async def test_postgres_silent_fails_after_the_connect_timeout(silent_port: int) -> None:
    """A Postgres that never answers raises DependencyUnavailable once its timeout passes."""
    store = PostgresConversationStore(
        f"postgresql://postgres@{LOOPBACK}:{silent_port}/postgres",
        connect_timeout=0.3,
        command_timeout=0.3,
    )
    try:
        await _fails_within(
            lambda: store.list_conversations(user_id="u"), dependency="store", seconds=3.0
        )
    finally:
        await store.aclose()


async def test_postgres_ping_is_false_when_down(
    refused_postgres: PostgresConversationStore,
) -> None:
    """The Postgres store's ping reports False instead of raising."""
    assert not await refused_postgres.ping()


async def test_postgres_store_recovers_when_postgres_returns() -> None:
    """A store built while Postgres is down starts working once it is up, and again after
    a crash and restart, without being rebuilt."""
    server = PostgresServer()
    store = PostgresConversationStore(server.dsn, connect_timeout=2.0)
    try:
        with pytest.raises(DependencyUnavailable):
            await store.create_conversation(user_id="u")
        server.start()
        await store.create_conversation(user_id="u")
        server.kill()
        with pytest.raises(DependencyUnavailable):
            await store.list_conversations(user_id="u")
        assert not await store.ping()
        server.start()
        assert await store.ping()
        created = await store.create_conversation(user_id="u")
        assert await store.get_conversation(user_id="u", conversation_id=created.id) == created
    finally:
        await store.aclose()
        server.stop()


async def test_postgres_store_recreates_a_lost_schema(postgres_server: PostgresServer) -> None:
    """Tables dropped behind the store's back are recreated on the next call, which succeeds."""
    dsn = postgres_server.dsn.rsplit("/", 1)[0] + "/state_lost_schema"
    admin = await asyncpg.connect(postgres_server.dsn)
    try:
        if not await admin.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = 'state_lost_schema'"
        ):
            await admin.execute("CREATE DATABASE state_lost_schema")
    finally:
        await admin.close()
    store = PostgresConversationStore(dsn)
    try:
        await store.ensure_schema()
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("DROP TABLE idempotency_keys, turns, conversations")
        finally:
            await conn.close()
        assert (await store.list_conversations(user_id="u")).items == ()
        created = await store.create_conversation(user_id="u")
        assert (await store.list_conversations(user_id="u")).items == (created,)
    finally:
        await store.aclose()


async def test_mongo_unreachable_fails_after_server_selection(closed_port: int) -> None:
    """A Mongo store whose server is unreachable raises DependencyUnavailable and pings False."""
    store = MongoConversationStore(
        f"mongodb://{LOOPBACK}:{closed_port}/chat", server_selection_timeout=0.3
    )
    try:
        await _fails_within(
            lambda: store.list_conversations(user_id="u"), dependency="store", seconds=5.0
        )
        assert not await store.ping()
    finally:
        await store.aclose()
