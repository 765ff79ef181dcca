"""A frozen primary provider (its fake process group stopped with SIGSTOP) under the
service's default resilience settings, with a healthy second provider: requests that had
no token yet fail over quickly; a stream already sending the primary's tokens ends with an
error event.

The service runs as a real process (``python -m service``) configured by environment with
nothing but its keys and the provider chain, so every resilience knob and provider timeout
is at its default, and requests are truly concurrent. Each test starts its own two fakes
(freezing a shared one would stall other tests) and always thaws the frozen one (SIGCONT).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import msgspec
import pytest

from lab.servers import FakeLLMServer
from tests.fixtures.fakes import start_fake
from tests.fixtures.service import ServiceProcess, ServiceUsers, provider_config
from tests.integration.service.conftest import parse_sse

StartService = Callable[..., ServiceProcess]

BATCHES = 3
"""Batches of concurrent requests sent while the primary is frozen."""
BATCH_SIZE = 10
P99_LIMIT = 5.0
"""Seconds: the seed's latency threshold for leaving V1, the bound the issue sets."""
REQUEST_TIMEOUT = 60.0
"""Client-side bound on one request, so a regression fails instead of hanging."""


@pytest.fixture
def fakes() -> Iterator[tuple[FakeLLMServer, FakeLLMServer]]:
    """A fresh fake OpenAI (the primary) and fake Anthropic (the secondary)."""
    primary = start_fake("openai")
    try:
        secondary = start_fake("anthropic")
        try:
            yield primary, secondary
        finally:
            secondary.stop()
    finally:
        primary.stop()


@pytest.fixture
def service(
    service_process: StartService,
    service_users: ServiceUsers,
    fakes: tuple[FakeLLMServer, FakeLLMServer],
) -> ServiceProcess:
    """The service over both fakes; no resilience variable set, provider timeouts default."""
    primary, secondary = fakes
    chain = [
        msgspec.to_builtins(provider_config("openai", "openai", primary.base_url)),
        msgspec.to_builtins(provider_config("anthropic", "anthropic", secondary.base_url)),
    ]
    for provider in chain:
        del provider["timeouts"]  # the test fixture's short ones: use the defaults
    return service_process(
        {
            "CHAT_API_KEYS": service_users.env(),
            "CHAT_RATE_TIERS": "default=10000/60,tight=3/60",
            "CHAT_PROVIDERS": json.dumps(chain),
        },
        timeout=90.0,  # a start takes 10 s and more on a busy 2-core box
    )


@contextlib.contextmanager
def frozen(fake: FakeLLMServer) -> Iterator[None]:
    """The fake's whole process group is stopped (SIGSTOP) inside the block."""
    assert fake.pid is not None
    group = os.getpgid(fake.pid)
    os.killpg(group, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(group, signal.SIGCONT)


async def timed_chat(client: httpx.AsyncClient, body: dict[str, Any]) -> tuple[float, int, str]:
    """``(seconds, status, provider)`` of one ``POST /v1/chat``; a stream reports the
    provider of its final ``done`` event (empty when it ended otherwise)."""
    start = time.monotonic()
    response = await client.post("/v1/chat", json=body)
    seconds = time.monotonic() - start
    if response.status_code != 200:
        return seconds, response.status_code, ""
    if body.get("stream"):
        last, data = parse_sse(response.text)[-1]
        return seconds, response.status_code, data["provider"] if last == "done" else ""
    return seconds, response.status_code, str(response.json()["provider"])


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def client_for(service: ServiceProcess, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=service.url,
        headers=ServiceUsers.headers(key),
        timeout=REQUEST_TIMEOUT,
        limits=httpx.Limits(max_connections=BATCH_SIZE * 2),
    )


async def test_a_frozen_primary_costs_little_under_default_settings(
    service: ServiceProcess,
    service_users: ServiceUsers,
    fakes: tuple[FakeLLMServer, FakeLLMServer],
) -> None:
    """With the primary frozen, every request (streams included) is answered by the
    second provider and p99 stays under 5 s, with the default settings."""
    results: list[tuple[float, int, str]] = []
    async with client_for(service, service_users.alice) as client:
        for n in range(3):
            _, status, provider = await timed_chat(client, {"message": f"warm {n}"})
            assert (status, provider) == (200, "openai")
        with frozen(fakes[0]):
            for batch in range(BATCHES):
                bodies = [
                    {"message": f"batch {batch} request {n}", "stream": n % 3 == 0}
                    for n in range(BATCH_SIZE)
                ]
                results += await asyncio.gather(*(timed_chat(client, b) for b in bodies))
    failed = [r for r in results if r[1] != 200 or r[2] != "anthropic"]
    assert not failed, failed
    latencies = [seconds for seconds, _, _ in results]
    assert p99(latencies) < P99_LIMIT, sorted(latencies)


async def test_a_stream_frozen_after_its_first_token_ends_with_an_error_event(
    service: ServiceProcess,
    service_users: ServiceUsers,
    fakes: tuple[FakeLLMServer, FakeLLMServer],
) -> None:
    """A stream already sending the primary's tokens when it freezes ends with an error
    event in bounded time, after the primary's tokens only, never with a ``done``."""
    primary = fakes[0]
    primary.set_faults({"latency": {"per_token": {"dist": "fixed", "ms": 200}}})
    body = {"message": "tell me a long story about frozen processes", "stream": True}
    names: list[str] = []
    async with (
        client_for(service, service_users.alice) as client,
        client.stream("POST", "/v1/chat", json=body) as response,
    ):
        assert response.status_code == 200
        lines = response.aiter_lines()
        async for line in lines:
            if line.startswith("event: "):
                names.append(line[7:])
            if names.count("token") >= 2:
                break
        start = time.monotonic()
        with frozen(primary):
            async for line in lines:
                if line.startswith("event: "):
                    names.append(line[7:])
            seconds = time.monotonic() - start
    assert names[0] == "start"
    assert names[-1] == "error", names
    assert "done" not in names
    assert seconds < REQUEST_TIMEOUT / 2, seconds
