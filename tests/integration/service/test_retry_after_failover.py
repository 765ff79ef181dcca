"""Retry-After with real fakes (``CHAT_RETRY_AFTER_FAILOVER``): the primary fake in a 503
outage with ``Retry-After: 1``, a healthy second fake. On, a request fails over at once and
the replica's next requests skip the primary until the second passes; off (the defect),
every request sleeps on the dead primary twice before it fails over."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import msgspec
import pytest

from lab.servers import FakeLLMServer
from service.settings import Settings
from tests.integration.service.conftest import (
    FAST_RETRIES,
    Client,
    MakeClient,
    metric_value,
    metrics_text,
)

REQUESTS = 6
OUTAGE = {"outage": {"status": 503, "retry_after_s": 1}}
FAST_ANSWER = 0.5
"""Seconds: generous for one failover on a loaded 2-core machine (measured ~10 ms)."""


@pytest.fixture(autouse=True)
def faults(fake_openai: FakeLLMServer, fake_anthropic: FakeLLMServer) -> Iterator[None]:
    yield
    fake_openai.reset()
    fake_anthropic.reset()


@pytest.fixture
def client_for(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    fake_openai: FakeLLMServer,
    two_providers: tuple[Any, ...],
) -> Callable[[bool], Awaitable[Client]]:
    async def make(failover: bool) -> Client:
        resilience = msgspec.structs.replace(
            FAST_RETRIES, hedge_after_ms=0, retry_after_failover=failover
        )
        client = await chat_client(
            make_service_settings(providers=two_providers, resilience=resilience)
        )
        fake_openai.set_faults(OUTAGE)
        return client

    return make


async def _timed_answers(client: Client, alice: dict[str, str]) -> list[tuple[float, str]]:
    answers = []
    for n in range(REQUESTS):
        start = time.monotonic()
        response = await client.post("/v1/chat", json={"message": f"hi {n}"}, headers=alice)
        assert response.status_code == 200, response.text
        answers.append((time.monotonic() - start, str(response.json()["provider"])))
    return answers


async def test_retry_after_fails_over_at_once_and_later_requests_skip_the_provider(
    client_for: Callable[[bool], Awaitable[Client]], alice: dict[str, str]
) -> None:
    """Flag on: every answer comes from the second provider at once; the dead primary
    sees one attempt per Retry-After second, not three per request."""
    client = await client_for(True)
    start = time.monotonic()
    answers = await _timed_answers(client, alice)
    elapsed = time.monotonic() - start
    assert {provider for _, provider in answers} == {"anthropic"}
    assert max(seconds for seconds, _ in answers) < FAST_ANSWER, answers
    text = await metrics_text(client)
    primary = metric_value(text, "chat_provider_attempts_total", provider="openai")
    assert primary <= 1 + int(elapsed), (primary, elapsed)


async def test_without_the_flag_each_request_sleeps_on_the_dead_provider(
    client_for: Callable[[bool], Awaitable[Client]], alice: dict[str, str]
) -> None:
    """Flag off (the defect): each request waits Retry-After twice before failing over."""
    client = await client_for(False)
    answers = await _timed_answers(client, alice)
    assert {provider for _, provider in answers} == {"anthropic"}
    assert min(seconds for seconds, _ in answers[:2]) >= 1.8, answers
    text = await metrics_text(client)
    primary = metric_value(text, "chat_provider_attempts_total", provider="openai")
    assert primary >= 2 * FAST_RETRIES.retry_attempts, primary
