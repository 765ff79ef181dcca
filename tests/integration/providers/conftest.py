"""Fixtures of the provider adapter tests: each test runs on both vendors' fakes.

``fake`` is parametrized over ``openai`` and ``anthropic`` (the session fakes of
``tests.fixtures.fakes``), and resets the fake's faults after the test, pass or fail.
``make_provider`` builds an adapter for a fake and closes it after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from lab.servers import FakeLLMServer
from service.adapters.providers import ProviderConfig, ProviderTimeouts, build_provider
from service.domain.ports import LLMProvider

MODEL = "chat-small"
VENDOR_MODEL = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-latest"}
API_KEY = "test-key-do-not-log"

MakeProvider = Callable[..., LLMProvider]


def config_for(fake: FakeLLMServer, **overrides: Any) -> ProviderConfig:
    """A ProviderConfig pointing at ``fake`` (short timeouts; overridable)."""
    values: dict[str, Any] = {
        "name": f"{fake.vendor}-test",
        "kind": fake.vendor,
        "api_key": API_KEY,
        "base_url": fake.base_url,
        "model_map": {MODEL: VENDOR_MODEL[fake.vendor]},
        "timeouts": ProviderTimeouts(connect=2.0, first_token=5.0, total=10.0),
    }
    values.update(overrides)
    return ProviderConfig(**values)


@pytest.fixture(params=["openai", "anthropic"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeLLMServer]:
    """The session fake of one vendor; its faults are cleared after the test."""
    process: FakeLLMServer = request.getfixturevalue(f"fake_{request.param}")
    try:
        yield process
    finally:
        process.reset()


@pytest.fixture
async def make_provider() -> AsyncIterator[MakeProvider]:
    """Builds adapters (``make_provider(fake, **config_overrides)``) and closes them after."""
    made: list[LLMProvider] = []

    def make(fake: FakeLLMServer, **overrides: Any) -> LLMProvider:
        provider = build_provider(config_for(fake, **overrides))
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()
