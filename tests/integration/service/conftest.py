"""Shared pieces of the service's integration tests: the provider chain over the fakes,
settings over real Redis and PostgreSQL (or dead ports standing for one that is down),
and small HTTP and metric helpers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from lab.net import free_port
from lab.servers import FakeLLMServer
from service.settings import ResilienceSettings, Settings
from tests.fixtures.service import MODEL, ServiceUsers, provider_config

__all__ = [
    "FAST_RETRIES",
    "MODEL",
    "Client",
    "MakeClient",
    "assert_redis_fail_open_counted",
    "dead_postgres_url",
    "dead_redis_url",
    "metric_value",
    "metrics_text",
    "parse_sse",
]

Client = AsyncTestClient[Any]
MakeClient = Callable[..., Awaitable[Client]]

FAST_RETRIES = ResilienceSettings(
    retry_attempts=3,
    retry_base_delay=0.01,
    retry_max_delay=0.05,
    breaker_min_calls=50,
    request_deadline_seconds=10.0,
    attempt_timeout_seconds=5.0,
    first_token_timeout_seconds=5.0,
)
"""Resilience for tests: quick backoff, a breaker that stays out of the way."""


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """``(event name, decoded data)`` for every event of an SSE body."""
    events: list[tuple[str, Any]] = []
    for block in text.strip().split("\n\n"):
        name, data = "message", ""
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        events.append((name, data if data == "[DONE]" else msgspec.json.decode(data)))
    return events


def metric_value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        match = re.match(r"^([^{ ]+)(?:\{(.*)\})? (.+)$", line)
        if match is None or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total


def dead_redis_url() -> str:
    """A Redis URL on a free loopback port nothing listens on: a Redis that is down."""
    return f"redis://127.0.0.1:{free_port()}/0"


def dead_postgres_url() -> str:
    """A PostgreSQL DSN on a free loopback port nothing listens on: a store that is down."""
    return f"postgresql://nobody@127.0.0.1:{free_port()}/postgres"


async def metrics_text(client: Client) -> str:
    """The service's ``/metrics`` exposition, as text."""
    return (await client.get("/metrics")).text


def assert_redis_fail_open_counted(text: str) -> None:
    """Redis down under fail-open: the rate limiter and response cache failures and the
    rate limiter's fail-open decision are each counted."""
    failures = "chat_dependency_failures_total"
    assert metric_value(text, failures, dependency="rate_limiter", policy="fail-open") == 1
    assert metric_value(text, failures, dependency="response_cache", policy="fail-open") >= 1
    assert metric_value(text, "chat_rate_limit_decisions_total", outcome="fail_open") == 1


@pytest.fixture
def openai_only(fake_openai: FakeLLMServer) -> tuple[Any, ...]:
    """A chain of one provider: the fake OpenAI."""
    return (provider_config("openai", "openai", fake_openai.base_url),)


@pytest.fixture
def two_providers(fake_openai: FakeLLMServer, fake_anthropic: FakeLLMServer) -> tuple[Any, ...]:
    """The fake OpenAI, then the fake Anthropic, both serving ``MODEL``."""
    return (
        provider_config("openai", "openai", fake_openai.base_url),
        provider_config("anthropic", "anthropic", fake_anthropic.base_url),
    )


@pytest.fixture
def openai_settings(
    make_service_settings: Callable[..., Settings], openai_only: tuple[Any, ...]
) -> Callable[..., Settings]:
    """``openai_settings(**overrides)``: settings whose chain is the fake OpenAI alone."""

    def make(**overrides: Any) -> Settings:
        return make_service_settings(providers=openai_only, **overrides)

    return make


@pytest.fixture
def postgres_settings(openai_settings: Callable[..., Settings], postgres_server: Any) -> Settings:
    """Real PostgreSQL store, the fake OpenAI, quick retries (no Redis)."""
    return openai_settings(store_url=postgres_server.dsn, resilience=FAST_RETRIES)


@pytest.fixture
def full_settings(
    make_service_settings: Callable[..., Settings],
    openai_only: tuple[Any, ...],
    clean_redis: str,
    postgres_server: Any,
) -> Settings:
    """Real Redis, real PostgreSQL, the fake OpenAI."""
    return make_service_settings(
        providers=openai_only,
        redis_url=clean_redis,
        store_url=postgres_server.dsn,
        resilience=FAST_RETRIES,
    )


@pytest.fixture
def alice(service_users: ServiceUsers) -> dict[str, str]:
    return service_users.headers(service_users.alice)


@pytest.fixture
def bob(service_users: ServiceUsers) -> dict[str, str]:
    return service_users.headers(service_users.bob)


@pytest.fixture
def tight(service_users: ServiceUsers) -> dict[str, str]:
    """Headers of the user whose tier allows 3 requests a minute."""
    return service_users.headers(service_users.tight)
