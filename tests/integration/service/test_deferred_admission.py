"""The completions route decides its rate limit with its cache lookup (one Redis round
trip): the same limits, headers, refusals and failure policies as every other route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service.domain.policy import FailurePolicy
from service.settings import CacheSettings, RateLimitSettings, Settings
from tests.integration.service.conftest import (
    MODEL,
    MakeClient,
    assert_redis_fail_open_counted,
    dead_redis_url,
    metric_value,
    metrics_text,
)

COMPLETIONS = "/v1/chat/completions"


def _body(text: str, *, temperature: float = 0) -> dict[str, Any]:
    return {
        "model": MODEL,
        "temperature": temperature,
        "messages": [{"role": "user", "content": text}],
    }


async def test_completions_are_limited_with_headers(
    chat_client: MakeClient, full_settings: Settings, tight: dict[str, str]
) -> None:
    """Completions count against the tier, carry RateLimit-*, then get 429 unanswered."""
    client = await chat_client(full_settings)
    remaining = []
    for n in range(3):
        ok = await client.post(COMPLETIONS, json=_body(f"limit me {n}"), headers=tight)
        assert ok.status_code == 200, ok.text
        assert ok.headers["ratelimit-limit"] == "3"
        remaining.append(int(ok.headers["ratelimit-remaining"]))
    assert remaining == [2, 1, 0]
    limited = await client.post(COMPLETIONS, json=_body("one too many"), headers=tight)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"  # OpenAI's dialect
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["ratelimit-remaining"] == "0"
    text = await metrics_text(client)
    assert metric_value(text, "chat_rate_limit_decisions_total", outcome="limited") == 1
    assert metric_value(text, "chat_provider_attempts_total", provider="openai") == 3


async def test_a_cached_answer_is_not_served_over_the_limit(
    chat_client: MakeClient, full_settings: Settings, tight: dict[str, str]
) -> None:
    """A deterministic request whose answer is cached still gets 429 over the limit."""
    client = await chat_client(full_settings)
    statuses = []
    for _ in range(4):
        response = await client.post(COMPLETIONS, json=_body("same question"), headers=tight)
        statuses.append((response.status_code, response.headers.get("x-chat-cached")))
    assert statuses == [(200, "false"), (200, "true"), (200, "true"), (429, None)]


async def test_invalid_completions_count_and_are_refused_over_the_limit(
    chat_client: MakeClient, full_settings: Settings, tight: dict[str, str]
) -> None:
    """An invalid body is counted; over the limit it gets 429 rather than its 400."""
    client = await chat_client(full_settings)
    bad = {"model": MODEL, "messages": []}
    first = await client.post(COMPLETIONS, json=bad, headers=tight)
    assert first.status_code == 400
    assert first.headers["ratelimit-remaining"] == "2"
    for n in range(2):
        ok = await client.post(COMPLETIONS, json=_body(f"valid {n}"), headers=tight)
        assert ok.status_code == 200
    limited = await client.post(COMPLETIONS, json=bad, headers=tight)
    assert limited.status_code == 429
    assert limited.json()["error"]["type"] == "requests"  # OpenAI's dialect


async def test_streamed_completions_carry_ratelimit_headers(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """A streamed completion is admitted before its first chunk and says so in headers."""
    client = await chat_client(full_settings)
    body = {**_body("stream me", temperature=0.5), "stream": True}
    response = await client.post(COMPLETIONS, json=body, headers=alice)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert int(response.headers["ratelimit-limit"]) > 0
    assert "data: [DONE]" in response.text


async def test_completions_with_redis_down_fail_open_answer_and_count(
    chat_client: MakeClient,
    openai_settings: Callable[..., Settings],
    alice: dict[str, str],
) -> None:
    """Redis down, fail-open: the completion answers, undecided, and both choices count."""
    settings = openai_settings(redis_url=dead_redis_url())
    client = await chat_client(settings)
    response = await client.post(COMPLETIONS, json=_body("anyone?"), headers=alice)
    assert response.status_code == 200, response.text
    assert "ratelimit-limit" not in response.headers
    assert_redis_fail_open_counted(await metrics_text(client))


async def test_completions_with_redis_down_fail_closed_answer_503(
    chat_client: MakeClient,
    openai_settings: Callable[..., Settings],
    alice: dict[str, str],
) -> None:
    """Redis down, rate limiting fail-closed: the completion gets 503 naming redis."""
    settings = openai_settings(
        redis_url=dead_redis_url(),
        rate_limit=RateLimitSettings(policy=FailurePolicy.FAIL_CLOSED),
        cache=CacheSettings(policy=FailurePolicy.FAIL_OPEN),
    )
    client = await chat_client(settings)
    response = await client.post(COMPLETIONS, json=_body("anyone?"), headers=alice)
    assert response.status_code == 503
    assert "redis" in response.json()["error"]["message"]
    text = await metrics_text(client)
    assert metric_value(text, "chat_rate_limit_decisions_total", outcome="fail_closed") == 1
    assert metric_value(text, "chat_provider_attempts_total") == 0
