"""Retries, failover and the circuit breaker, seen from the service's HTTP API, with
faults injected into the fake providers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import msgspec
import pytest
from httpx import Response

from lab.servers import FakeLLMServer
from service.settings import Settings
from tests.integration.service.conftest import (
    FAST_RETRIES,
    MODEL,
    Client,
    MakeClient,
    metric_value,
    metrics_text,
    parse_sse,
)

ClientWith = Callable[..., Awaitable[Client]]


@pytest.fixture(autouse=True)
def faults(fake_openai: FakeLLMServer, fake_anthropic: FakeLLMServer) -> Iterator[None]:
    """Both fakes are reset after the test, pass or fail."""
    yield
    fake_openai.reset()
    fake_anthropic.reset()


@pytest.fixture
def client_with(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    fake_openai: FakeLLMServer,
) -> ClientWith:
    """``await client_with(providers, openai_faults, **flags)``: a client over that chain
    with ``FAST_RETRIES`` changed by the given resilience flags; once it is up, the fake
    OpenAI is given ``openai_faults``."""

    async def make(
        providers: tuple[Any, ...], openai_faults: dict[str, Any], **flags: Any
    ) -> Client:
        resilience = msgspec.structs.replace(FAST_RETRIES, **flags)
        settings = make_service_settings(providers=providers, resilience=resilience)
        client = await chat_client(settings)
        fake_openai.set_faults(openai_faults)
        return client

    return make


async def _complete(client: Client, headers: dict[str, str]) -> Response:
    """POST a one-message completion for ``MODEL``."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
    return await client.post("/v1/chat/completions", json=body, headers=headers)


async def test_retry_then_success(
    client_with: ClientWith, openai_only: tuple[Any, ...], alice: dict[str, str]
) -> None:
    """A short outage is ridden out by retries at the same provider."""
    client = await client_with(
        openai_only,
        {"outage": {"status": 503, "duration_s": 1.0}},
        retry_attempts=30,
        retry_base_delay=0.1,
        retry_max_delay=0.1,
        budget_enabled=False,
        max_attempts_per_request=30,
    )
    response = await client.post("/v1/chat", json={"message": "hi"}, headers=alice)
    assert response.status_code == 200, response.text
    assert response.json()["provider"] == "openai"
    text = await metrics_text(client)
    assert metric_value(text, "chat_provider_retries_total", provider="openai") >= 1
    assert metric_value(text, "chat_provider_attempts_total", outcome="success") == 1


async def test_failover_to_the_second_provider(
    client_with: ClientWith, two_providers: tuple[Any, ...], alice: dict[str, str]
) -> None:
    """With the first provider down, the answer comes from the second."""
    # Hedging off: the outage's Retry-After (1 s a retry) would let the default 2 s hedge
    # start the second provider before the first gives up, a race rather than a failover.
    client = await client_with(two_providers, {"outage": {"status": 500}}, hedge_after_ms=0)
    response = await client.post("/v1/chat", json={"message": "hi"}, headers=alice)
    assert response.status_code == 200, response.text
    assert response.json()["provider"] == "anthropic"
    text = await metrics_text(client)
    failovers = metric_value(
        text, "chat_provider_failovers_total", from_provider="openai", to_provider="anthropic"
    )
    assert failovers == 1
    attempts = metric_value(text, "chat_upstream_attempts_per_request_sum")
    assert attempts == 2  # the outage's Retry-After: fail over at once, no retry on openai


async def test_streams_fail_over_before_the_first_token_only(
    client_with: ClientWith, two_providers: tuple[Any, ...], alice: dict[str, str]
) -> None:
    """A stream whose first provider is down is served whole by the second one."""
    client = await client_with(two_providers, {"outage": {"status": 503}})
    response = await client.post(
        "/v1/chat", json={"message": "stream", "stream": True}, headers=alice
    )
    events = parse_sse(response.text)
    assert events[-1][0] == "done"
    assert events[-1][1]["provider"] == "anthropic"


async def test_stream_cut_after_first_token_ends_with_an_error_event(
    client_with: ClientWith, two_providers: tuple[Any, ...], alice: dict[str, str]
) -> None:
    """A provider failing mid-stream ends the stream with an error event, no failover."""
    client = await client_with(
        two_providers, {"stream": {"rate": 1.0, "mix": {"close": 1.0}, "after_tokens": 2}}
    )
    response = await client.post(
        "/v1/chat", json={"message": "stream", "stream": True}, headers=alice
    )
    assert response.status_code == 200
    events = parse_sse(response.text)
    assert events[-1][0] == "error"
    assert events[-1][1]["status"] == 502
    assert "done" not in [name for name, _ in events]
    text = await metrics_text(client)
    assert metric_value(text, "chat_stream_interruptions_total", provider="openai") == 1
    assert metric_value(text, "chat_unpersisted_turns_total", reason="stream_incomplete") == 2


async def test_breaker_opens_on_an_outage_and_recovers(
    client_with: ClientWith,
    openai_only: tuple[Any, ...],
    fake_openai: FakeLLMServer,
    alice: dict[str, str],
) -> None:
    """A lone provider's breaker opens (later calls are refused without an attempt), then
    closes again once the provider is back and the open time has passed."""
    client = await client_with(
        openai_only,
        {"outage": {"status": 503}},
        retry_enabled=False,
        breaker_min_calls=3,
        breaker_failure_rate=0.5,
        breaker_open_seconds=0.5,
        breaker_half_open_probes=1,
    )
    for _ in range(3):
        failed = await _complete(client, alice)
        assert failed.status_code == 503
    text = await metrics_text(client)
    assert metric_value(text, "chat_breaker_state", provider="openai") == 2.0
    refused = await _complete(client, alice)
    assert refused.status_code == 503
    text = await metrics_text(client)
    assert metric_value(text, "chat_provider_short_circuits_total", provider="openai") == 1
    assert metric_value(text, "chat_provider_attempts_total", provider="openai") == 3
    fake_openai.reset()
    await asyncio.sleep(0.6)
    recovered = await _complete(client, alice)
    assert recovered.status_code == 200, recovered.text
    text = await metrics_text(client)
    assert metric_value(text, "chat_breaker_state", provider="openai") == 0.0
    assert metric_value(text, "chat_breaker_transitions_total", state="closed") == 1


async def test_retries_off_means_one_attempt(
    client_with: ClientWith, openai_only: tuple[Any, ...], alice: dict[str, str]
) -> None:
    """With the retry flag off a failing provider is tried once per request."""
    client = await client_with(openai_only, {"outage": {"status": 500}}, retry_enabled=False)
    response = await _complete(client, alice)
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "server_error"  # OpenAI's dialect on this route
    text = await metrics_text(client)
    assert metric_value(text, "chat_provider_attempts_total", provider="openai") == 1


async def test_failover_off_keeps_to_the_first_provider(
    client_with: ClientWith, two_providers: tuple[Any, ...], alice: dict[str, str]
) -> None:
    """With the failover flag off, an outage of the first provider is the caller's 503."""
    client = await client_with(two_providers, {"outage": {"status": 500}}, failover_enabled=False)
    response = await _complete(client, alice)
    assert response.status_code == 503
    text = await metrics_text(client)
    assert metric_value(text, "chat_provider_attempts_total", provider="anthropic") == 0


async def test_hedging_races_the_next_provider_when_the_first_is_slow(
    client_with: ClientWith, two_providers: tuple[Any, ...], alice: dict[str, str]
) -> None:
    """With hedging on, a first provider slower than the hedge delay loses the race."""
    client = await client_with(
        two_providers, {"latency": {"ttft": {"dist": "fixed", "ms": 2000}}}, hedge_after_ms=100
    )
    response = await _complete(client, alice)
    assert response.status_code == 200, response.text
    assert response.headers["x-chat-provider"] == "anthropic"
    text = await metrics_text(client)
    assert metric_value(text, "chat_provider_hedges_total", outcome="secondary") == 1
