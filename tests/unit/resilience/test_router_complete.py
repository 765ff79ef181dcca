"""Router, non-streaming: retries, failover, breakers, budget and bounds."""

from __future__ import annotations

import asyncio
import typing
from collections.abc import Callable

import pytest

from service.domain.errors import AllProvidersFailed, ProviderError
from service.domain.ports import LLMProvider
from service.resilience.breaker import BreakerConfig
from service.resilience.budget import BudgetConfig
from service.resilience.clock import ManualClock
from service.resilience.observer import BreakerState, NoopObserver, ResilienceObserver
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


def _down(name: str, clock: ManualClock) -> ScriptedProvider:
    return ScriptedProvider(name, clock, default=Step(error=server_error(name)))


async def test_first_provider_answers(clock: ManualClock, observer: RecordingObserver) -> None:
    """A healthy first provider answers with one attempt and no failover."""
    a, b = ScriptedProvider("a", clock), ScriptedProvider("b", clock)
    completion = await make_router([a, b], clock, observer).complete(request())
    assert (completion.provider, completion.text) == ("a", "Hello world")
    assert (a.calls, b.calls) == (1, 0)
    assert observer.of("attempts_per_request") == [(1,)]


async def test_retry_then_success(clock: ManualClock, observer: RecordingObserver) -> None:
    """A transient error is retried at the same provider after a backoff."""
    a = ScriptedProvider("a", clock, steps=[Step(error=server_error("a"))])
    completion = await make_router([a], clock, observer).complete(request())
    assert completion.provider == "a"
    assert a.calls == 2
    assert observer.of("retry") == [("a", "server")]


async def test_attempts_exhausted_fail_over(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """After max_attempts failures the request moves to the next provider."""
    a, b = _down("a", clock), ScriptedProvider("b", clock)
    completion = await make_router([a, b], clock, observer).complete(request())
    assert completion.provider == "b"
    assert (a.calls, b.calls) == (3, 1)
    assert observer.of("failover") == [("a", "b", "server")]
    assert observer.of("attempts_per_request") == [(4,)]


@pytest.mark.parametrize("kind", ["bad_request", "auth", "not_found", "context_length"])
async def test_non_retryable_error_raised_at_once(
    clock: ManualClock, observer: RecordingObserver, kind: str
) -> None:
    """A non-retryable error is raised with no retry and no failover."""
    a = ScriptedProvider("a", clock, default=Step(error=bad_request("a", kind)))
    b = ScriptedProvider("b", clock)
    with pytest.raises(ProviderError) as caught:
        await make_router([a, b], clock, observer).complete(request())
    assert caught.value.kind == kind
    assert (a.calls, b.calls) == (1, 0)


async def test_non_retryable_error_does_not_trip_breaker(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Bad requests say nothing about a provider's health: its breaker stays closed."""
    a = ScriptedProvider("a", clock, default=Step(error=bad_request("a")))
    router = make_router([a], clock, observer)
    for _ in range(10):
        with pytest.raises(ProviderError):
            await router.complete(request())
    assert router.breaker_states() == {"a": BreakerState.CLOSED}


async def test_all_failed_carries_every_error(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """When the chain is spent, AllProvidersFailed lists each attempt's error."""
    a, b = _down("a", clock), _down("b", clock)
    with pytest.raises(AllProvidersFailed) as caught:
        await make_router([a, b], clock, observer).complete(request())
    assert [e.provider for e in caught.value.errors] == ["a"] * 3 + ["b"] * 3
    assert caught.value.client_error is None


async def test_open_breaker_skips_provider(clock: ManualClock, observer: RecordingObserver) -> None:
    """An open breaker sends the request straight to the next provider."""
    a, b = _down("a", clock), ScriptedProvider("b", clock)
    router = make_router([a, b], clock, observer, breaker=BreakerConfig(min_calls=3))
    await router.complete(request())
    assert router.breaker_states()["a"] is BreakerState.OPEN
    calls = a.calls
    assert (await router.complete(request())).provider == "b"
    assert a.calls == calls
    assert ("a",) in observer.of("short_circuit")
    assert observer.of("failover")[-1] == ("a", "b", "breaker_open")


async def test_single_provider_chain_opens_its_breaker(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A lone provider in an outage opens its breaker: later requests cost no attempts."""
    a = _down("a", clock)
    router = make_router([a], clock, observer, breaker=BreakerConfig(min_calls=5))
    for _ in range(20):
        with pytest.raises(AllProvidersFailed):
            await router.complete(request())
    assert router.breaker_states()["a"] is BreakerState.OPEN
    assert a.calls <= 5 + 2
    assert observer.of("attempts_per_request")[-1] == (0,)


async def test_breaker_recovers_through_half_open(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """After the open period a successful probe closes the breaker again."""
    a = ScriptedProvider("a", clock, steps=[Step(error=server_error("a"))] * 3)
    router = make_router([a], clock, observer, breaker=BreakerConfig(min_calls=3, open_seconds=5))
    with pytest.raises(AllProvidersFailed):
        await router.complete(request())
    assert router.breaker_states()["a"] is BreakerState.OPEN
    await clock.sleep(5)
    assert (await router.complete(request())).provider == "a"
    assert router.breaker_states()["a"] is BreakerState.CLOSED


async def test_breaker_is_shared_by_concurrent_requests(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Requests in flight together feed one breaker per provider."""
    a, b = _down("a", clock), ScriptedProvider("b", clock)
    router = make_router(
        [a, b],
        clock,
        observer,
        retry=RetryConfig(max_attempts=1),
        breaker=BreakerConfig(min_calls=5),
    )
    await asyncio.gather(*(router.complete(request()) for _ in range(5)))
    assert router.breaker_states()["a"] is BreakerState.OPEN
    await router.complete(request())
    assert a.calls == 5


async def test_attempts_per_request_stay_bounded(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """max_attempts_per_request caps attempts across the whole chain."""
    providers = [_down(n, clock) for n in "abcd"]
    router = make_router(
        providers, clock, observer, config=RouterConfig(max_attempts_per_request=5)
    )
    with pytest.raises(AllProvidersFailed):
        await router.complete(request())
    assert sum(p.calls for p in providers) == 5
    assert observer.of("attempts_per_request") == [(5,)]


async def test_retry_budget_exhaustion_fails_over(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """With the retry budget spent, a failure fails over instead of retrying."""
    a, b = _down("a", clock), ScriptedProvider("b", clock)
    router = make_router(
        [a, b], clock, observer, budget=BudgetConfig(ratio=0.0, min_per_second=0.1)
    )
    await router.complete(request())
    assert a.calls == 2
    assert observer.of("budget_exhausted") == [("a",)]
    assert observer.of("failover") == [("a", "b", "budget_exhausted")]


async def test_retry_after_is_waited(clock: ManualClock, observer: RecordingObserver) -> None:
    """A 429 with Retry-After delays the retry by at least that long."""
    a = ScriptedProvider("a", clock, steps=[Step(error=server_error("a", retry_after=3.0))])
    start = clock.monotonic()
    await make_router([a], clock, observer).complete(request())
    assert clock.monotonic() - start >= 3.0
    assert observer.of("retry") == [("a", "rate_limit")]


async def test_long_retry_after_fails_over(clock: ManualClock, observer: RecordingObserver) -> None:
    """A Retry-After beyond the cap moves on to the next provider at once."""
    a = ScriptedProvider("a", clock, steps=[Step(error=server_error("a", retry_after=60.0))])
    b = ScriptedProvider("b", clock)
    assert (await make_router([a, b], clock, observer).complete(request())).provider == "b"
    assert observer.of("failover") == [("a", "b", "retry_after_too_long")]


async def test_deadline_stops_retries(clock: ManualClock, observer: RecordingObserver) -> None:
    """No attempt starts after the request deadline, and no backoff runs past it."""
    a = ScriptedProvider("a", clock, default=Step(delay=4.0, error=server_error("a")))
    router = make_router(
        [a],
        clock,
        observer,
        config=RouterConfig(deadline_seconds=10),
        retry=RetryConfig(max_attempts=10),
    )
    start = clock.monotonic()
    with pytest.raises(AllProvidersFailed):
        await router.complete(request())
    assert clock.monotonic() - start <= 10 + 4
    assert a.calls <= 3


async def test_attempt_timeout_capped_by_deadline(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """An attempt is given no more time than the request has left."""
    a = ScriptedProvider("a", clock, default=Step(delay=100.0))
    router = make_router([a], clock, observer, config=RouterConfig(deadline_seconds=2))
    start = clock.monotonic()
    with pytest.raises(AllProvidersFailed):
        await router.complete(request())
    assert clock.monotonic() - start == pytest.approx(2.0)


async def test_providers_not_serving_model_are_skipped(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Only providers that map the requested model are in its chain."""
    a = ScriptedProvider("a", clock, models=frozenset({"other"}))
    b = ScriptedProvider("b", clock)
    assert (await make_router([a, b], clock, observer).complete(request())).provider == "b"
    assert a.calls == 0


async def test_unknown_model_is_not_found(clock: ManualClock, observer: RecordingObserver) -> None:
    """A model no provider serves raises a non-retryable not_found error."""
    router = make_router([ScriptedProvider("a", clock)], clock, observer)
    assert not router.serves("nope")
    with pytest.raises(ProviderError) as caught:
        await router.complete(request("nope"))
    assert (caught.value.kind, caught.value.retryable) == ("not_found", False)


async def test_aclose_closes_every_provider(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """The router owns its providers and closes them."""
    a, b = ScriptedProvider("a", clock), ScriptedProvider("b", clock)
    await make_router([a, b], clock, observer).aclose()
    assert a.closed
    assert b.closed


def test_duplicate_provider_names_refused(clock: ManualClock, observer: RecordingObserver) -> None:
    """Provider names key breakers and metrics, so they must be unique."""
    with pytest.raises(ValueError, match="unique"):
        make_router([ScriptedProvider("a", clock), ScriptedProvider("a", clock)], clock, observer)


def test_router_is_an_llm_provider(clock: ManualClock, observer: RecordingObserver) -> None:
    """The router satisfies the LLMProvider port, so the chat service can use it as one."""
    router: LLMProvider = make_router([ScriptedProvider("a", clock)], clock, observer)
    assert isinstance(router, LLMProvider)
    assert router.name == "router"


def test_noop_observer_satisfies_the_protocol() -> None:
    """The default observer has exactly the protocol's methods, each taking the protocol's
    arguments, doing nothing and returning None."""
    protocol = _methods(ResilienceObserver)
    assert set(_methods(NoopObserver)) == set(protocol)
    observer: ResilienceObserver = NoopObserver()
    samples: dict[object, object] = {str: "a", float: 0.5, int: 2, BreakerState: BreakerState.OPEN}
    for name, method in protocol.items():
        hints = typing.get_type_hints(method)
        hints.pop("return")
        arguments = {param: samples[kind] for param, kind in hints.items()}
        assert getattr(observer, name)(**arguments) is None, name
    assert vars(observer) == {}


def _methods(cls: type) -> dict[str, Callable[..., object]]:
    """The public methods defined in ``cls``'s own body."""
    return {n: v for n, v in vars(cls).items() if callable(v) and not n.startswith("_")}
