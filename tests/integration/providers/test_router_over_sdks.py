"""The router over the real SDK adapters and the fake vendors: failover, retry, breaker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lab.servers import FakeLLMServer
from service.adapters.providers import ProviderTimeouts, build_provider
from service.domain.errors import AllProvidersFailed, StreamInterrupted
from service.domain.types import StreamDelta, StreamDone, StreamEvent
from service.resilience import (
    BreakerConfig,
    BreakerState,
    ProviderRouter,
    RetryConfig,
    RouterConfig,
)
from tests.integration.providers.conftest import config_for
from tests.integration.providers.test_adapters import REQUEST, _requests
from tests.unit.resilience.fakes import RecordingObserver

pytestmark = pytest.mark.usefixtures("fake_faults_reset")

FAST_RETRY = RetryConfig(max_attempts=2, base_delay=0.01, max_delay=0.05, retry_after_cap=2.0)


@pytest.fixture
async def observer() -> RecordingObserver:
    return RecordingObserver()


@pytest.fixture
async def pair(
    fake_openai: FakeLLMServer, fake_anthropic: FakeLLMServer, observer: RecordingObserver
) -> AsyncIterator[ProviderRouter]:
    """openai first, anthropic second, real SDKs, real clock."""
    timeouts = ProviderTimeouts(connect=1.0, first_token=0.5, total=5.0)
    router = ProviderRouter(
        [
            build_provider(config_for(fake_openai, timeouts=timeouts)),
            build_provider(config_for(fake_anthropic, timeouts=timeouts)),
        ],
        config=RouterConfig(deadline_seconds=10),
        retry=FAST_RETRY,
        breaker=BreakerConfig(min_calls=4, open_seconds=60),
        observer=observer,
    )
    yield router
    await router.aclose()


async def test_outage_fails_over_to_second_vendor(
    pair: ProviderRouter, fake_openai: FakeLLMServer, observer: RecordingObserver
) -> None:
    """With the first vendor down (a 503 with Retry-After), the answer comes from the
    second at once: the Retry-After cools the first down instead of a retry on it."""
    fake_openai.set_faults({"outage": {"status": 503, "retry_after_s": 0}})
    completion = await pair.complete(REQUEST)
    assert completion.provider == "anthropic-test"
    assert observer.of("failover") == [("openai-test", "anthropic-test", "retry_after")]
    assert observer.of("attempts_per_request") == [(2,)]  # one on each, no retry on the first


async def test_stream_fails_over_before_first_token_only(
    pair: ProviderRouter, fake_openai: FakeLLMServer
) -> None:
    """A stream whose first vendor misses the first-token deadline shows only the second's text."""
    fake_openai.set_faults({"latency": {"ttft": {"dist": "fixed", "ms": 3000}}})
    events: list[StreamEvent] = [e async for e in pair.stream(REQUEST)]
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert done.provider == "anthropic-test"
    assert all(isinstance(e, StreamDelta) for e in events[:-1])


async def test_retry_after_then_success(
    fake_openai: FakeLLMServer, observer: RecordingObserver
) -> None:
    """A short outage with Retry-After is waited out at the same vendor, then answered."""
    fake_openai.set_faults({"outage": {"status": 429, "duration_s": 0.5, "retry_after_s": 1}})
    router = ProviderRouter(
        [build_provider(config_for(fake_openai))], retry=FAST_RETRY, observer=observer
    )
    try:
        completion = await router.complete(REQUEST)
    finally:
        await router.aclose()
    assert completion.provider == "openai-test"
    assert observer.of("retry") == [("openai-test", "rate_limit")]


async def test_lone_vendor_outage_opens_breaker_and_stops_upstream_calls(
    fake_openai: FakeLLMServer,
) -> None:
    """One provider in an outage: once its breaker is open, requests reach it no more."""
    fake_openai.set_faults({"outage": {"status": 503, "retry_after_s": 0}})
    router = ProviderRouter(
        [build_provider(config_for(fake_openai))],
        retry=FAST_RETRY,
        breaker=BreakerConfig(min_calls=4, open_seconds=60),
    )
    before = _requests(fake_openai)
    try:
        for _ in range(20):
            with pytest.raises(AllProvidersFailed):
                await router.complete(REQUEST)
    finally:
        await router.aclose()
    assert router.breaker_states() == {"openai-test": BreakerState.OPEN}
    assert _requests(fake_openai) - before == 4


async def test_hedge_races_slow_vendor_and_cancels_it(
    fake_openai: FakeLLMServer, fake_anthropic: FakeLLMServer, observer: RecordingObserver
) -> None:
    """A first vendor slower than hedge_after is raced; the second answers, the first is cut."""
    fake_openai.set_faults({"latency": {"ttft": {"dist": "fixed", "ms": 4000}}})
    router = ProviderRouter(
        [
            build_provider(config_for(fake_openai)),
            build_provider(config_for(fake_anthropic)),
        ],
        config=RouterConfig(hedge_after_ms=200),
        observer=observer,
    )
    try:
        completion = await router.complete(REQUEST)
    finally:
        await router.aclose()
    assert completion.provider == "anthropic-test"
    assert observer.of("hedge") == [("openai-test", "anthropic-test", "anthropic-test")]
    assert ("openai-test", "cancelled", "hedge_lost") in observer.of("attempt")


async def test_stream_broken_after_first_token_is_interrupted_not_failed_over(
    pair: ProviderRouter,
    fake_openai: FakeLLMServer,
    fake_anthropic: FakeLLMServer,
    observer: RecordingObserver,
) -> None:
    """A vendor stream cut after its first tokens ends in StreamInterrupted; no second vendor."""
    fake_openai.set_faults({"stream": {"rate": 1.0, "mix": {"close": 1}, "after_tokens": 2}})
    before = _requests(fake_anthropic)
    events: list[StreamEvent] = []

    async def drain() -> None:
        async for event in pair.stream(REQUEST):
            events.append(event)

    with pytest.raises(StreamInterrupted) as caught:
        await drain()
    assert (caught.value.provider, caught.value.kind) == ("openai-test", "stream")
    assert [type(e) for e in events] == [StreamDelta, StreamDelta]
    assert _requests(fake_anthropic) == before
    assert observer.of("failover") == []
