"""Router, streaming: failover only before the first token, one provider's text only."""

from __future__ import annotations

import pytest

from service.domain.errors import AllProvidersFailed, ProviderError, StreamInterrupted
from service.domain.types import StreamDelta, StreamDone, StreamEvent
from service.resilience.breaker import BreakerConfig
from service.resilience.clock import ManualClock
from service.resilience.observer import BreakerState
from service.resilience.router import ProviderRouter
from tests.unit.resilience.fakes import (
    RecordingObserver,
    ScriptedProvider,
    Step,
    bad_request,
    request,
    server_error,
)
from tests.unit.resilience.routing import make_router


async def _collect(router: ProviderRouter, events: list[StreamEvent]) -> None:
    async for event in router.stream(request()):
        events.append(event)


async def test_stream_yields_deltas_then_done(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A healthy stream passes every delta and one final StreamDone through."""
    a = ScriptedProvider("a", clock)
    events: list[StreamEvent] = []
    await _collect(make_router([a], clock, observer), events)
    assert events == [
        StreamDelta("Hello"),
        StreamDelta(" world"),
        StreamDone(provider="a", model="chat-small"),
    ]
    assert [e[0] for e in observer.of("first_token")] == ["a"]


async def test_failure_before_first_token_fails_over(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A stream that fails before its first token moves to the next provider."""
    a = ScriptedProvider("a", clock, default=Step(error=server_error("a")))
    b = ScriptedProvider("b", clock, default=Step(tokens=("from", " b")))
    events: list[StreamEvent] = []
    await _collect(make_router([a, b], clock, observer), events)
    assert "".join(e.text for e in events if isinstance(e, StreamDelta)) == "from b"
    assert isinstance(events[-1], StreamDone)
    assert events[-1].provider == "b"
    assert observer.of("failover") == [("a", "b", "server")]


async def test_failure_after_first_token_interrupts_without_failover(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """After the first token a failure raises StreamInterrupted and never fails over."""
    a = ScriptedProvider("a", clock, default=Step(tokens=("one", "two", "three"), fail_after=1))
    b = ScriptedProvider("b", clock)
    events: list[StreamEvent] = []
    with pytest.raises(StreamInterrupted) as caught:
        await _collect(make_router([a, b], clock, observer), events)
    assert events == [StreamDelta("one")]
    assert b.calls == 0
    assert (caught.value.provider, caught.value.kind) == ("a", "server")
    assert observer.of("stream_interrupted") == [("a", "server")]
    assert isinstance(caught.value.__cause__, ProviderError)


async def test_stream_without_final_event_is_interrupted(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A stream that just stops (no StreamDone) is an interruption, not a success."""
    a = ScriptedProvider("a", clock, default=Step(truncate=True))
    events: list[StreamEvent] = []
    with pytest.raises(StreamInterrupted):
        await _collect(make_router([a], clock, observer), events)
    assert not any(isinstance(e, StreamDone) for e in events)


async def test_empty_stream_fails_over(clock: ManualClock, observer: RecordingObserver) -> None:
    """A stream ending before any event counts as a failed attempt and fails over."""
    a = ScriptedProvider("a", clock, default=Step(tokens=(), truncate=True))
    b = ScriptedProvider("b", clock)
    events: list[StreamEvent] = []
    await _collect(make_router([a, b], clock, observer), events)
    assert isinstance(events[-1], StreamDone)
    assert events[-1].provider == "b"


async def test_mid_stream_failures_open_the_breaker(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Streams that break after their first token count as failures for the breaker."""
    a = ScriptedProvider("a", clock, default=Step(fail_after=1))
    router = make_router([a], clock, observer, breaker=BreakerConfig(min_calls=3))
    for _ in range(3):
        with pytest.raises(StreamInterrupted):
            await _collect(router, [])
    assert router.breaker_states()["a"] is BreakerState.OPEN


async def test_non_retryable_stream_error_raised_before_first_token(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A 400-class error on opening a stream is raised as is, with no failover."""
    a = ScriptedProvider("a", clock, default=Step(error=bad_request("a", "context_length")))
    b = ScriptedProvider("b", clock)
    with pytest.raises(ProviderError) as caught:
        await _collect(make_router([a, b], clock, observer), [])
    assert caught.value.kind == "context_length"
    assert b.calls == 0


async def test_all_streams_failing_raises_all_failed(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """When no provider produces a first token, AllProvidersFailed is raised, text-free."""
    a = ScriptedProvider("a", clock, default=Step(error=server_error("a")))
    b = ScriptedProvider("b", clock, default=Step(delay=60.0))
    events: list[StreamEvent] = []
    with pytest.raises(AllProvidersFailed):
        await _collect(make_router([a, b], clock, observer), events)
    assert events == []


async def test_consumer_leaving_early_closes_the_stream(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Closing the router's stream early closes the provider's stream and is no failure."""
    a = ScriptedProvider("a", clock, default=Step(tokens=("x",) * 10))
    router = make_router([a], clock, observer, breaker=BreakerConfig(min_calls=1))
    stream = router.stream(request())
    assert await anext(stream) == StreamDelta("x")
    await stream.aclose()  # type: ignore[attr-defined]
    assert a.closed_streams == 1
    assert router.breaker_states()["a"] is BreakerState.CLOSED
