"""A turn-cache write after both turns were stored never fails the request, whatever
the cache policy: a 503 there would make the client retry and store the turn twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lab.net import free_port
from service.domain.policy import FailurePolicy
from service.settings import CacheSettings, RateLimitSettings, RedisSettings, Settings
from tests.integration.service.conftest import FAST_RETRIES, MakeClient, metric_value


async def test_turn_cache_failure_after_store_answers_200_under_fail_closed(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    openai_only: tuple[Any, ...],
    postgres_server: Any,
    alice: dict[str, str],
) -> None:
    """Redis down, cache policy fail-closed: the stored first turn answers 200, is stored
    once, and the failed turn-cache write is counted."""
    settings = make_service_settings(
        providers=openai_only,
        store_url=postgres_server.dsn,
        resilience=FAST_RETRIES,
        redis=RedisSettings(url=f"redis://127.0.0.1:{free_port()}/0"),
        rate_limit=RateLimitSettings(enabled=False),
        cache=CacheSettings(policy=FailurePolicy.FAIL_CLOSED),
    )
    client = await chat_client(settings)
    response = await client.post("/v1/chat", json={"message": "hi"}, headers=alice)
    assert response.status_code == 200, response.text
    conversation_id = response.json()["conversation_id"]
    detail = await client.get(f"/v1/conversations/{conversation_id}", headers=alice)
    assert [t["role"] for t in detail.json()["turns"]] == ["user", "assistant"]
    text = (await client.get("/metrics")).text
    failures = metric_value(
        text, "chat_dependency_failures_total", dependency="turn_cache", policy="fail-closed"
    )
    assert failures >= 1
