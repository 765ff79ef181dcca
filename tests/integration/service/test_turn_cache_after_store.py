"""A turn-cache write after both turns were stored never fails the request, whatever
the cache policy: a 503 there would make the client retry and store the turn twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service.domain.policy import FailurePolicy
from service.settings import CacheSettings, RateLimitSettings, RedisSettings, Settings
from tests.integration.service.conftest import (
    FAST_RETRIES,
    MakeClient,
    dead_redis_url,
    metric_value,
    metrics_text,
)


async def test_turn_cache_failure_after_store_answers_200_under_fail_closed(
    chat_client: MakeClient,
    openai_settings: Callable[..., Settings],
    postgres_server: Any,
    alice: dict[str, str],
) -> None:
    """Redis down, cache policy fail-closed: the stored first turn answers 200, is stored
    once, and the failed turn-cache write is counted."""
    settings = openai_settings(
        store_url=postgres_server.dsn,
        resilience=FAST_RETRIES,
        redis=RedisSettings(url=dead_redis_url()),
        rate_limit=RateLimitSettings(enabled=False),
        cache=CacheSettings(policy=FailurePolicy.FAIL_CLOSED),
    )
    client = await chat_client(settings)
    response = await client.post("/v1/chat", json={"message": "hi"}, headers=alice)
    assert response.status_code == 200, response.text
    conversation_id = response.json()["conversation_id"]
    detail = await client.get(f"/v1/conversations/{conversation_id}", headers=alice)
    assert [t["role"] for t in detail.json()["turns"]] == ["user", "assistant"]
    failures = metric_value(
        await metrics_text(client),
        "chat_dependency_failures_total",
        dependency="turn_cache",
        policy="fail-closed",
    )
    assert failures >= 1
