"""Rate limiting, the response cache and dependency failure policies, over real Redis
and PostgreSQL (and dead ports standing for a server that is down)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from service.domain.policy import FailurePolicy
from service.settings import (
    CacheSettings,
    RateLimitSettings,
    Settings,
    StoreSettings,
)
from tests.integration.service.conftest import (
    FAST_RETRIES,
    MakeClient,
    assert_redis_fail_open_counted,
    dead_postgres_url,
    dead_redis_url,
    metric_value,
    metrics_text,
)


def _dead_store(**fields: Any) -> StoreSettings:
    """A store that is down, with timeouts short enough to find out quickly."""
    return StoreSettings(
        url=dead_postgres_url(), connect_timeout=0.5, command_timeout=0.5, **fields
    )


async def test_rate_limit_answers_429_with_headers(
    chat_client: MakeClient,
    full_settings: Settings,
    tight: dict[str, str],
    bob: dict[str, str],
) -> None:
    """A key over its tier gets 429 with Retry-After; every answer carries RateLimit-*."""
    client = await chat_client(full_settings)
    remaining = []
    for _ in range(3):
        ok = await client.get("/v1/conversations", headers=tight)
        assert ok.status_code == 200
        assert ok.headers["ratelimit-limit"] == "3"
        remaining.append(int(ok.headers["ratelimit-remaining"]))
    assert remaining == [2, 1, 0]
    limited = await client.get("/v1/conversations", headers=tight)
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["ratelimit-remaining"] == "0"
    assert int(limited.headers["ratelimit-reset"]) <= 60
    other = await client.get("/v1/conversations", headers=bob)
    assert other.status_code == 200
    text = await metrics_text(client)
    assert metric_value(text, "chat_rate_limit_decisions_total", outcome="limited") == 1


async def test_deterministic_requests_are_answered_from_the_cache(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """The same temperature-0 completion twice: the second is a cache hit."""
    client = await chat_client(full_settings)
    body = {
        "model": "chat-small",
        "temperature": 0,
        "messages": [{"role": "user", "content": "cache me"}],
    }
    first = await client.post("/v1/chat/completions", json=body, headers=alice)
    second = await client.post("/v1/chat/completions", json=body, headers=alice)
    assert first.headers["x-chat-cached"] == "false"
    assert second.headers["x-chat-cached"] == "true"
    assert second.json()["choices"][0]["message"] == first.json()["choices"][0]["message"]
    text = await metrics_text(client)
    assert metric_value(text, "chat_cache_lookups_total", cache="response", outcome="hit") == 1
    assert metric_value(text, "chat_provider_attempts_total", provider="openai") == 1


async def test_sampled_requests_skip_the_cache(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """Requests with a temperature above 0 are never cached."""
    client = await chat_client(full_settings)
    body = {"model": "chat-small", "messages": [{"role": "user", "content": "again"}]}
    for _ in range(2):
        reply = await client.post("/v1/chat/completions", json=body, headers=alice)
        assert reply.headers["x-chat-cached"] == "false"


async def test_redis_down_fail_open_still_answers(
    chat_client: MakeClient,
    openai_settings: Callable[..., Settings],
    alice: dict[str, str],
) -> None:
    """With Redis down and fail-open policies, chats answer and the choice is counted."""
    settings = openai_settings(redis_url=dead_redis_url(), resilience=FAST_RETRIES)
    client = await chat_client(settings)
    body = {"message": "still there?", "temperature": 0}
    response = await client.post("/v1/chat", json=body, headers=alice)
    assert response.status_code == 200, response.text
    assert "ratelimit-limit" not in response.headers
    ready = await client.get("/v1/ready")
    assert ready.status_code == 200
    assert ready.json()["dependencies"]["redis"] == {"status": "down", "required": False}
    assert_redis_fail_open_counted(await metrics_text(client))


async def test_redis_down_fail_closed_answers_503(
    chat_client: MakeClient,
    openai_settings: Callable[..., Settings],
    alice: dict[str, str],
) -> None:
    """With Redis down and rate limiting fail-closed, requests get 503 naming redis and
    readiness answers 503."""
    settings = openai_settings(
        redis_url=dead_redis_url(),
        rate_limit=RateLimitSettings(policy=FailurePolicy.FAIL_CLOSED),
        cache=CacheSettings(policy=FailurePolicy.FAIL_CLOSED),
    )
    client = await chat_client(settings)
    response = await client.post("/v1/chat", json={"message": "hi"}, headers=alice)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["dependency"] == "redis"
    ready = await client.get("/v1/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not_ready"
    text = await metrics_text(client)
    assert (
        metric_value(
            text, "chat_dependency_failures_total", dependency="rate_limiter", policy="fail-closed"
        )
        == 1
    )


async def test_store_down_fail_closed_answers_503(
    chat_client: MakeClient,
    openai_settings: Callable[..., Settings],
    alice: dict[str, str],
) -> None:
    """With the store down and its policy fail-closed, a chat gets 503 naming the store."""
    settings = openai_settings(
        store=_dead_store(),
    )
    client = await chat_client(settings)
    response = await client.post("/v1/chat", json={"message": "hi"}, headers=alice)
    assert response.status_code == 503
    assert response.json()["dependency"] == "store"
    ready = await client.get("/v1/ready")
    assert ready.status_code == 503
    assert ready.json()["dependencies"]["store"]["status"] == "down"


async def test_store_down_fail_open_answers_and_counts_unpersisted_turns(
    chat_client: MakeClient,
    openai_settings: Callable[..., Settings],
    alice: dict[str, str],
) -> None:
    """With the store down and fail-open, the chat answers and both turns are counted as
    unpersisted (logged), not silently lost."""
    settings = openai_settings(
        store=_dead_store(policy=FailurePolicy.FAIL_OPEN),
    )
    client = await chat_client(settings)
    response = await client.post("/v1/chat", json={"message": "hi"}, headers=alice)
    assert response.status_code == 200, response.text
    assert (await client.get("/v1/ready")).status_code == 200
    text = await metrics_text(client)
    assert metric_value(text, "chat_unpersisted_turns_total", reason="store_unavailable") == 2
    assert metric_value(text, "chat_store_operations_total", outcome="unavailable") >= 1


@pytest.mark.parametrize("policy", [FailurePolicy.FAIL_OPEN, FailurePolicy.FAIL_CLOSED])
async def test_conversation_reads_need_the_store(
    chat_client: MakeClient,
    openai_settings: Callable[..., Settings],
    alice: dict[str, str],
    policy: FailurePolicy,
) -> None:
    """Listing conversations with the store down is a 503 under either policy."""
    settings = openai_settings(
        store=_dead_store(policy=policy),
    )
    client = await chat_client(settings)
    response = await client.get("/v1/conversations", headers=alice)
    assert response.status_code == 503
