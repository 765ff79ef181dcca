"""The SDK adapters against the fake vendors over real HTTP: answers and streams."""

from __future__ import annotations

import pytest

from lab.servers import FakeLLMServer
from service.domain.types import ChatRequest, Message, Role, StreamDelta, StreamDone, StreamEvent
from tests.integration.providers.conftest import MODEL, MakeProvider

REQUEST = ChatRequest(
    model=MODEL,
    messages=(Message(Role.SYSTEM, "be brief"), Message(Role.USER, "hello there")),
    max_tokens=16,
    temperature=0.0,
)


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
async def test_complete_answers(
    fake: FakeLLMServer, make_provider: MakeProvider, backend: str
) -> None:
    """A completion carries text, usage, our provider name and a finish reason."""
    provider = make_provider(fake, http_backend=backend)
    completion = await provider.complete(REQUEST, timeout=5)
    assert completion.text
    assert completion.provider == f"{fake.vendor}-test"
    assert completion.usage.input_tokens > 0
    assert completion.usage.output_tokens > 0
    assert completion.finish_reason in ("stop", "length")


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
async def test_stream_yields_deltas_then_done(
    fake: FakeLLMServer, make_provider: MakeProvider, backend: str
) -> None:
    """A stream is text deltas followed by exactly one StreamDone with usage."""
    provider = make_provider(fake, http_backend=backend)
    events: list[StreamEvent] = [
        e async for e in provider.stream(REQUEST, first_token_timeout=5, total_timeout=10)
    ]
    assert all(isinstance(e, StreamDelta) for e in events[:-1])
    assert "".join(e.text for e in events if isinstance(e, StreamDelta))
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert done.provider == f"{fake.vendor}-test"
    assert done.usage.output_tokens > 0


async def test_model_map_decides_what_is_served(
    fake: FakeLLMServer, make_provider: MakeProvider
) -> None:
    """Only public names in the model map are served."""
    provider = make_provider(fake)
    assert provider.serves(MODEL)
    assert not provider.serves("other-model")


async def test_ping_is_true_when_up(fake: FakeLLMServer, make_provider: MakeProvider) -> None:
    """The readiness probe answers True against a running fake."""
    assert await make_provider(fake).ping()


async def test_sdk_retries_are_off(fake: FakeLLMServer, make_provider: MakeProvider) -> None:
    """One adapter call is one upstream request, even on a retryable 503."""
    fake.set_faults({"errors": {"rate": 1.0, "mix": {"503": 1}}})
    provider = make_provider(fake)
    before = _requests(fake)
    with pytest.raises(Exception, match="503"):
        await provider.complete(REQUEST, timeout=5)
    assert _requests(fake) - before == 1


def _requests(fake: FakeLLMServer) -> float:
    """Total requests the fake counted (sum of its fake_llm_requests_total series)."""
    total = 0.0
    for line in fake.metrics_text().splitlines():
        if line.startswith("fake_llm_requests_total"):
            total += float(line.rsplit(" ", 1)[1])
    return total
