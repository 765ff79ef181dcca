"""``AutoPipeline`` over real Redis: commands of one loop turn share a pipeline, and each
caller still gets its own reply or error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from lab.net import free_port
from service.adapters.redis import create_redis_client
from service.adapters.redis.pipeline import AutoPipeline, auto_pipeline


@pytest.fixture
async def client(clean_redis: str) -> AsyncIterator[Redis]:
    redis = create_redis_client(clean_redis)
    try:
        yield redis
    finally:
        await redis.aclose()


async def test_concurrent_commands_each_get_their_reply(client: Redis) -> None:
    """Forty commands issued together come back to their own callers, in any order."""
    pipe = AutoPipeline(client)
    await asyncio.gather(*(pipe.execute("SET", f"k{i}", f"v{i}") for i in range(20)))
    replies = await asyncio.gather(*(pipe.execute("GET", f"k{i}") for i in range(20)))
    assert replies == [f"v{i}".encode() for i in range(20)]


async def test_a_lone_command_is_sent_alone(client: Redis) -> None:
    """One command in a loop turn is answered like a plain command."""
    pipe = AutoPipeline(client)
    assert await pipe.execute("SET", "alone", "1", "PX", 60_000)
    assert await pipe.execute("GET", "alone") == b"1"


async def test_a_command_error_reaches_only_its_caller(client: Redis) -> None:
    """A wrong-type command fails alone; its neighbours in the batch succeed."""
    pipe = AutoPipeline(client)
    await pipe.execute("LPUSH", "a-list", "x")
    results = await asyncio.gather(
        pipe.execute("SET", "fine", "1"),
        pipe.execute("GET", "a-list"),
        pipe.execute("GET", "fine"),
        return_exceptions=True,
    )
    assert results[0] is True
    assert isinstance(results[1], ResponseError)
    assert results[2] == b"1"


async def test_a_dead_server_fails_every_caller() -> None:
    """With nothing listening, every command of the batch raises a connection error."""
    dead = create_redis_client(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.2)
    try:
        pipe = AutoPipeline(dead)
        results = await asyncio.gather(
            pipe.execute("GET", "a"), pipe.execute("GET", "b"), return_exceptions=True
        )
        assert all(isinstance(r, RedisConnectionError | OSError) for r in results), results
    finally:
        await dead.aclose()


async def test_adapters_on_one_client_share_its_pipeline(client: Redis) -> None:
    """``auto_pipeline`` gives every adapter of a client the same batcher."""
    assert auto_pipeline(client) is auto_pipeline(client)
