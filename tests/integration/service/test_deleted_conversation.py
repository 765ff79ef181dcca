"""A deleted conversation is never sent upstream, in both store states (real Redis and
real PostgreSQL, each behind the fault proxy so a test can slow or cut it).

- the store answers: it decides existence before any provider call, even when a slow
  Redis kept the deleted turns in the cache;
- the store policy is fail-open: a delete whose purge fails answers 503 and deletes
  nothing; a delete that succeeded leaves a tombstone, so with the store then down the
  conversation is 404 (no provider call) while a live one still gets its cached context.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import redis as redis_sync

from fakes.llm.wire import prompt_tokens
from lab.faults.toxiproxy import ProxyHandle
from lab.servers import PostgresServer, RedisServer
from service.domain.policy import FailurePolicy
from service.settings import RedisSettings, Settings, StoreSettings
from tests.fixtures.proxy import ToxiproxyUnderTest
from tests.integration.service.conftest import (
    FAST_RETRIES,
    Client,
    MakeClient,
    metric_value,
    metrics_text,
)

REDIS_TIMEOUT = 0.5
COOLDOWN = 1.0
"""The Redis client's circuit stays open this long after a timeout (its default)."""


def _proxied_redis(toxiproxy: ToxiproxyUnderTest, redis_server: RedisServer) -> ProxyHandle:
    return toxiproxy.client.create(upstream=redis_server.address, name="state-redis")


def _settings(
    make: Callable[..., Settings],
    providers: tuple[Any, ...],
    *,
    redis_url: str,
    store: StoreSettings,
) -> Settings:
    return make(
        providers=providers,
        resilience=FAST_RETRIES,
        redis=RedisSettings(
            url=redis_url, socket_timeout=REDIS_TIMEOUT, connect_timeout=REDIS_TIMEOUT
        ),
        store=store,
    )


async def _conversation(client: Client, headers: dict[str, str]) -> tuple[str, list[str]]:
    """A conversation with one exchange; its id and its turns' texts."""
    reply = await client.post("/v1/chat", json={"message": "remember the secret"}, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()["conversation_id"], ["remember the secret", reply.json()["message"]]


async def _attempts(client: Client) -> float:
    return metric_value(await metrics_text(client), "chat_provider_attempts_total")


async def test_the_store_decides_before_a_stale_cache_reaches_the_provider(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    openai_only: tuple[Any, ...],
    toxiproxy_server: ToxiproxyUnderTest,
    redis_server: RedisServer,
    postgres_server: PostgresServer,
    alice: dict[str, str],
    service_users: Any,
) -> None:
    """Store fail-closed, Redis silent during DELETE: 204 (the purge failure is counted),
    the cached turns survive in Redis, and the next chat on that id is 404 with no
    provider attempt."""
    redis_proxy = _proxied_redis(toxiproxy_server, redis_server)
    settings = _settings(
        make_service_settings,
        openai_only,
        redis_url=f"redis://{redis_proxy.host}:{redis_proxy.port}/0",
        store=StoreSettings(url=postgres_server.dsn),
    )
    client = await chat_client(settings)
    conversation_id, _ = await _conversation(client, alice)
    redis_proxy.add_toxic(type="timeout", attributes={"timeout": 0}, name="silent")
    deleted = await client.delete(f"/v1/conversations/{conversation_id}", headers=alice)
    assert deleted.status_code == 204, deleted.text
    redis_proxy.destroy_toxic("silent")
    await asyncio.sleep(COOLDOWN + 0.5)
    stale = redis_sync.Redis.from_url(redis_server.url)
    try:
        key = f"chat:turns:v2:{service_users.alice_id}/{conversation_id}"
        assert stale.hexists(key, "t"), "the purge was meant to fail, leaving the turns"
    finally:
        stale.close()
    before = await _attempts(client)
    again = await client.post(
        "/v1/chat",
        json={"message": "what was it?", "conversation_id": conversation_id},
        headers=alice,
    )
    assert again.status_code == 404, again.text
    assert await _attempts(client) == before
    text = await metrics_text(client)
    failures = metric_value(
        text, "chat_dependency_failures_total", dependency="turn_cache", policy="fail-open"
    )
    assert failures >= 1


async def test_store_fail_open_a_failed_purge_is_a_503_that_deletes_nothing(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    openai_only: tuple[Any, ...],
    toxiproxy_server: ToxiproxyUnderTest,
    redis_server: RedisServer,
    postgres_server: PostgresServer,
    alice: dict[str, str],
) -> None:
    """Store fail-open, Redis silent during DELETE: 503 problem naming Redis, the
    conversation is still there; once Redis answers the delete goes through."""
    redis_proxy = _proxied_redis(toxiproxy_server, redis_server)
    settings = _settings(
        make_service_settings,
        openai_only,
        redis_url=f"redis://{redis_proxy.host}:{redis_proxy.port}/0",
        store=StoreSettings(url=postgres_server.dsn, policy=FailurePolicy.FAIL_OPEN),
    )
    client = await chat_client(settings)
    conversation_id, _ = await _conversation(client, alice)
    redis_proxy.add_toxic(type="timeout", attributes={"timeout": 0}, name="silent")
    refused = await client.delete(f"/v1/conversations/{conversation_id}", headers=alice)
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["dependency"] == "redis"
    assert "not deleted" in refused.json()["detail"]
    still = await client.get(f"/v1/conversations/{conversation_id}", headers=alice)
    assert still.status_code == 200
    redis_proxy.destroy_toxic("silent")
    await asyncio.sleep(COOLDOWN + 0.5)
    deleted = await client.delete(f"/v1/conversations/{conversation_id}", headers=alice)
    assert deleted.status_code == 204, deleted.text


async def test_store_down_a_tombstone_is_404_and_a_live_conversation_keeps_its_context(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    openai_only: tuple[Any, ...],
    toxiproxy_server: ToxiproxyUnderTest,
    clean_redis: str,
    postgres_server: PostgresServer,
    alice: dict[str, str],
) -> None:
    """Store fail-open behind the proxy: after a delete and with the store then cut, a
    chat on the deleted id is 404 with no provider attempt, and a chat on a live
    conversation answers 200 with its cached turns as context."""
    store_proxy = toxiproxy_server.client.create(
        upstream=postgres_server.address, name="state-postgres"
    )
    dsn = postgres_server.dsn.replace(f":{postgres_server.port}/", f":{store_proxy.port}/")
    settings = _settings(
        make_service_settings,
        openai_only,
        redis_url=clean_redis,
        store=StoreSettings(
            url=dsn, policy=FailurePolicy.FAIL_OPEN, connect_timeout=0.5, command_timeout=0.5
        ),
    )
    client = await chat_client(settings)
    doomed, _ = await _conversation(client, alice)
    live, live_turns = await _conversation(client, alice)
    deleted = await client.delete(f"/v1/conversations/{doomed}", headers=alice)
    assert deleted.status_code == 204, deleted.text
    store_proxy.disable()
    before = await _attempts(client)
    gone = await client.post(
        "/v1/chat", json={"message": "what was it?", "conversation_id": doomed}, headers=alice
    )
    assert gone.status_code == 404, gone.text
    assert await _attempts(client) == before
    kept = await client.post(
        "/v1/chat", json={"message": "go on", "conversation_id": live}, headers=alice
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["usage"]["input_tokens"] == prompt_tokens([*live_turns, "go on"])
