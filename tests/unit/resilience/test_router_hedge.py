"""Router hedging: a slow provider is raced by the next one; the loser is cancelled."""

from __future__ import annotations

import asyncio

import pytest

from service.domain.errors import AllProvidersFailed, ProviderError
from service.domain.types import StreamDelta, StreamDone, StreamEvent
from service.resilience.clock import ManualClock
from service.resilience.retry import RetryConfig
from service.resilience.router import RouterConfig
from tests.unit.resilience.fakes import (
    RecordingObserver,
    ScriptedProvider,
    Step,
    bad_request,
    request,
    server_error,
)
from tests.unit.resilience.routing import make_router

HEDGE = RouterConfig(hedge_after_ms=500)


async def test_slow_primary_is_hedged_and_loses(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A primary slower than hedge_after is raced; the faster backup wins."""
    a = ScriptedProvider("a", clock, default=Step(delay=5.0))
    b = ScriptedProvider("b", clock, default=Step(delay=0.1))
    start = clock.monotonic()
    completion = await make_router([a, b], clock, observer, config=HEDGE).complete(request())
    assert completion.provider == "b"
    assert clock.monotonic() - start == pytest.approx(0.6)
    assert ("a", "cancelled", "hedge_lost") in observer.of("attempt")
    assert observer.of("hedge") == [("a", "b", "b")]


async def test_fast_primary_is_not_hedged(clock: ManualClock, observer: RecordingObserver) -> None:
    """A primary answering before hedge_after never starts the backup."""
    a = ScriptedProvider("a", clock, default=Step(delay=0.2))
    b = ScriptedProvider("b", clock)
    completion = await make_router([a, b], clock, observer, config=HEDGE).complete(request())
    assert completion.provider == "a"
    assert b.calls == 0
    assert observer.of("hedge") == []


async def test_primary_can_still_win_the_race(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """If the primary answers first after the hedge started, the backup is cancelled."""
    a = ScriptedProvider("a", clock, default=Step(delay=0.8))
    b = ScriptedProvider("b", clock, default=Step(delay=5.0))
    completion = await make_router([a, b], clock, observer, config=HEDGE).complete(request())
    assert completion.provider == "a"
    assert ("b", "cancelled", "hedge_lost") in observer.of("attempt")


async def test_fast_failing_primary_fails_over_without_race(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A primary that fails fast hands over to the backup as plain failover."""
    a = ScriptedProvider("a", clock, default=Step(error=server_error("a")))
    b = ScriptedProvider("b", clock)
    router = make_router([a, b], clock, observer, config=RouterConfig(hedge_after_ms=10_000))
    assert (await router.complete(request())).provider == "b"
    assert observer.of("hedge") == []


async def test_both_hedged_providers_fail_then_chain_continues(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """When both racers fail, the request goes on to the third provider."""
    a = ScriptedProvider("a", clock, default=Step(delay=1.0, error=server_error("a")))
    b = ScriptedProvider("b", clock, default=Step(delay=1.0, error=server_error("b")))
    c = ScriptedProvider("c", clock)
    router = make_router(
        [a, b, c], clock, observer, config=HEDGE, retry=RetryConfig(max_attempts=1)
    )
    assert (await router.complete(request())).provider == "c"
    assert observer.of("hedge") == [("a", "b", "none")]


async def test_non_retryable_error_in_race_is_raised(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A client error from either racer ends the request at once."""
    a = ScriptedProvider("a", clock, default=Step(delay=5.0))
    b = ScriptedProvider("b", clock, default=Step(error=bad_request("b")))
    with pytest.raises(ProviderError) as caught:
        await make_router([a, b], clock, observer, config=HEDGE).complete(request())
    assert caught.value.kind == "bad_request"
    assert ("a", "cancelled", "client_gone") in observer.of("attempt")


async def test_hedged_stream_shows_only_the_winner(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A hedged stream commits to the first provider with a token; the other is closed."""
    a = ScriptedProvider("a", clock, default=Step(delay=5.0, tokens=("from", " a")))
    b = ScriptedProvider("b", clock, default=Step(delay=0.1, tokens=("from", " b")))
    router = make_router([a, b], clock, observer, config=HEDGE)
    events: list[StreamEvent] = [e async for e in router.stream(request())]
    assert "".join(e.text for e in events if isinstance(e, StreamDelta)) == "from b"
    assert isinstance(events[-1], StreamDone)
    assert events[-1].provider == "b"
    assert a.closed_streams == 1
    assert a.finished_streams == 0


async def test_hedge_attempts_count_towards_the_bound(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Racing attempts are counted in attempts per request and stay within the bound."""
    a = ScriptedProvider("a", clock, default=Step(delay=1.0, error=server_error("a")))
    b = ScriptedProvider("b", clock, default=Step(delay=1.0, error=server_error("b")))
    router = make_router(
        [a, b], clock, observer, config=RouterConfig(hedge_after_ms=100, max_attempts_per_request=4)
    )
    with pytest.raises(AllProvidersFailed):
        await router.complete(request())
    assert a.calls + b.calls <= 4
    assert observer.of("attempts_per_request") == [(a.calls + b.calls,)]


async def test_abandoned_race_cancels_both_racers(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A client gone mid-race cancels both attempts and frees both breakers' permits."""
    a = ScriptedProvider("a", clock, default=Step(delay=50.0))
    b = ScriptedProvider("b", clock, default=Step(delay=50.0))
    router = make_router([a, b], clock, observer, config=HEDGE)
    task = asyncio.create_task(router.complete(request()))
    await clock.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    cancelled = {e[0] for e in observer.of("attempt") if e[1] == "cancelled"}
    assert cancelled == {"a", "b"}
    assert observer.of("hedge") == [("a", "b", "none")]
    assert clock.pending == 0
