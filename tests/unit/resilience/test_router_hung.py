"""Router against a hung provider: a fair share of the deadline per attempt, and lost
hedges counted as slow calls by the primary's breaker."""

from __future__ import annotations

import pytest

from service.domain.errors import AllProvidersFailed
from service.resilience.breaker import BreakerConfig
from service.resilience.clock import ManualClock
from service.resilience.observer import BreakerState
from service.resilience.router import RouterConfig
from tests.unit.resilience.fakes import (
    RecordingObserver,
    ScriptedProvider,
    Step,
    request,
    server_error,
)
from tests.unit.resilience.routing import make_router

MODEL, OTHER = "chat-small", "chat-other"
HUNG = Step(delay=10_000.0)
"""Never answers: every attempt runs into its timeout."""
HEDGE = RouterConfig(hedge_after_ms=500)
NO_HEDGE = RouterConfig(deadline_seconds=30.0, attempt_timeout_seconds=20.0)


async def test_a_hung_primary_leaves_the_next_provider_its_share_of_the_deadline(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Without hedging, a hung first provider cannot eat the deadline: the second answers."""
    a = ScriptedProvider("a", clock, default=HUNG)
    b = ScriptedProvider("b", clock)
    start = clock.monotonic()
    completion = await make_router([a, b], clock, observer, config=NO_HEDGE).complete(request())
    assert completion.provider == "b"
    assert clock.monotonic() - start < NO_HEDGE.deadline_seconds


async def test_the_first_attempt_gets_half_the_deadline_with_one_provider_after_it(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """With one more provider to try, the first attempt may take half the time left."""
    a = ScriptedProvider("a", clock, default=HUNG)
    b = ScriptedProvider("b", clock)
    await make_router([a, b], clock, observer, config=NO_HEDGE).complete(request())
    assert a.timeouts[0] == pytest.approx(NO_HEDGE.deadline_seconds / 2)


async def test_a_later_provider_with_an_open_breaker_takes_no_share(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A slow first provider keeps its whole attempt timeout when the next one is open."""
    a = ScriptedProvider("a", clock, default=Step(delay=18.0))
    b = ScriptedProvider(
        "b", clock, default=Step(error=server_error("b")), models=frozenset({MODEL, OTHER})
    )
    router = make_router([a, b], clock, observer, config=NO_HEDGE)
    for _ in range(5):  # only b serves OTHER: its failures open its breaker
        with pytest.raises(AllProvidersFailed):
            await router.complete(request(OTHER))
    assert router.breaker_states()["b"] is BreakerState.OPEN
    b.default = Step()
    completion = await router.complete(request(MODEL))
    assert completion.provider == "a"
    assert a.timeouts == [NO_HEDGE.attempt_timeout_seconds]


async def test_a_single_provider_attempt_keeps_its_whole_timeout(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Alone in the chain, a slow provider gets the full attempt timeout, not a share."""
    a = ScriptedProvider("a", clock, default=Step(delay=18.0))
    completion = await make_router([a], clock, observer, config=NO_HEDGE).complete(request())
    assert completion.provider == "a"
    assert a.timeouts == [NO_HEDGE.attempt_timeout_seconds]


async def test_lost_hedges_open_a_hung_primarys_breaker(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Each race a hung primary loses counts as a failure; after ``min_calls`` of them its
    breaker is open and the next request goes straight to the backup, without waiting."""
    breaker = BreakerConfig(min_calls=5, open_seconds=30)
    a = ScriptedProvider("a", clock, default=HUNG)
    b = ScriptedProvider("b", clock, default=Step(delay=0.1))
    router = make_router([a, b], clock, observer, config=HEDGE, breaker=breaker)
    for _ in range(breaker.min_calls):
        assert (await router.complete(request())).provider == "b"
    assert router.breaker_states()["a"] is BreakerState.OPEN
    start = clock.monotonic()
    assert (await router.complete(request())).provider == "b"
    assert clock.monotonic() - start == pytest.approx(0.1)
    assert a.calls == breaker.min_calls


async def test_a_backup_losing_the_race_is_not_a_failure(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """The backup started late: losing to the primary says nothing against it."""
    breaker = BreakerConfig(min_calls=5, open_seconds=30)
    a = ScriptedProvider("a", clock, default=Step(delay=0.8))
    b = ScriptedProvider("b", clock, default=HUNG)
    router = make_router([a, b], clock, observer, config=HEDGE, breaker=breaker)
    for _ in range(breaker.min_calls + 1):
        assert (await router.complete(request())).provider == "a"
    assert b.calls == breaker.min_calls + 1
    assert router.breaker_states()["b"] is BreakerState.CLOSED


async def test_a_hung_stream_primary_opens_its_breaker_through_lost_hedges(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Streams too: a primary with no first token loses its races and gets skipped."""
    breaker = BreakerConfig(min_calls=3, open_seconds=30)
    a = ScriptedProvider("a", clock, default=HUNG)
    b = ScriptedProvider("b", clock)
    router = make_router([a, b], clock, observer, config=HEDGE, breaker=breaker)
    for _ in range(breaker.min_calls):
        events = [event async for event in router.stream(request())]
        assert events[-1].provider == "b"  # type: ignore[union-attr]
    assert router.breaker_states()["a"] is BreakerState.OPEN
    assert a.closed_streams == breaker.min_calls


async def test_a_primary_retry_cut_short_by_the_race_is_not_a_slow_call(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Only an attempt that itself ran the hedge delay counts as slow: a retry that had
    just started when the backup won is released, not failed."""
    breaker = BreakerConfig(min_calls=2, failure_rate_threshold=1.0, open_seconds=30)
    a = ScriptedProvider("a", clock, steps=[Step(delay=0.4, error=server_error("a")), HUNG])
    b = ScriptedProvider("b", clock, default=Step(delay=0.05))
    router = make_router([a, b], clock, observer, config=HEDGE, breaker=breaker)
    assert (await router.complete(request())).provider == "b"
    assert a.calls == 2
    assert router.breaker_states()["a"] is BreakerState.CLOSED
