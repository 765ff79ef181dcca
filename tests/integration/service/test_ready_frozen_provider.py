"""Readiness with a frozen provider (its fake's process group stopped with SIGSTOP), the
service a real process: with ``CHAT_READINESS_BACKGROUND_PROBES`` on, ``/v1/ready``
answers 200 within a load balancer's health-check budget during the freeze; off, it waits
for the provider probe's timeout (the defect that took every V3 replica out of HAProxy).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import msgspec
import pytest

from lab.servers import FakeLLMServer
from tests.fixtures.fakes import start_fake
from tests.fixtures.service import ServiceProcess, ServiceUsers, provider_config
from tests.integration.service.test_frozen_provider import StartService, frozen

HEALTH_CHECK_BUDGET = 0.5
"""Seconds: generous against HAProxy's ~0.3 s check timeout on a loaded 2-core box."""
PROBES = 6


@pytest.fixture
def primary() -> Iterator[FakeLLMServer]:
    fake = start_fake("openai")
    try:
        yield fake
    finally:
        fake.stop()


def _service(
    start: StartService, users: ServiceUsers, fake: FakeLLMServer, *, background: bool
) -> ServiceProcess:
    chain = [msgspec.to_builtins(provider_config("openai", "openai", fake.base_url))]
    return start(
        {
            "CHAT_API_KEYS": users.env(),
            "CHAT_RATE_TIERS": "default=10000/60,tight=3/60",
            "CHAT_PROVIDERS": json.dumps(chain),
            "CHAT_READINESS_BACKGROUND_PROBES": "true" if background else "false",
        },
        timeout=90.0,
    )


def _timed_ready(url: str) -> tuple[float, int]:
    start = time.monotonic()
    response = httpx.get(f"{url}/v1/ready", timeout=10.0)
    return time.monotonic() - start, response.status_code


def test_ready_answers_at_once_with_a_frozen_provider_when_probes_run_in_background(
    service_process: StartService, service_users: ServiceUsers, primary: FakeLLMServer
) -> None:
    """Flag on: every /v1/ready during the freeze is 200 within the health-check budget."""
    service = _service(service_process, service_users, primary, background=True)
    with frozen(primary):
        answers = [_timed_ready(service.url) for _ in range(PROBES)]
    assert all(status == 200 for _, status in answers), answers
    assert max(seconds for seconds, _ in answers) < HEALTH_CHECK_BUDGET, answers


def test_ready_waits_for_the_frozen_provider_without_the_flag(
    service_process: StartService, service_users: ServiceUsers, primary: FakeLLMServer
) -> None:
    """Flag off (the defect): /v1/ready waits past the health-check budget."""
    service = _service(service_process, service_users, primary, background=False)
    with frozen(primary):
        answers = [_timed_ready(service.url) for _ in range(2)]
    assert min(seconds for seconds, _ in answers) >= HEALTH_CHECK_BUDGET, answers
