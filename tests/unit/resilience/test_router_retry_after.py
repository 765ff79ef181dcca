"""Router and Retry-After: a provider asking to be called later is skipped until then by
every request while another provider is available; the sleep-and-retry stays for the
last one (``RouterConfig.retry_after_failover``)."""

from __future__ import annotations

from service.resilience.clock import ManualClock
from service.resilience.cooldown import Cooldowns
from service.resilience.router import RouterConfig
from tests.unit.resilience.fakes import RecordingObserver, ScriptedProvider, Step, request
from tests.unit.resilience.fakes import server_error as error
from tests.unit.resilience.routing import make_router


def _limited(name: str, clock: ManualClock, retry_after: float = 1.0) -> ScriptedProvider:
    return ScriptedProvider(name, clock, default=Step(error=error(name, retry_after=retry_after)))


async def test_retry_after_fails_over_at_once(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A 429 with Retry-After moves the request to the next provider without waiting."""
    a, b = _limited("a", clock), ScriptedProvider("b", clock)
    start = clock.monotonic()
    completion = await make_router([a, b], clock, observer).complete(request())
    assert completion.provider == "b"
    assert clock.monotonic() == start
    assert (a.calls, b.calls) == (1, 1)
    assert observer.of("failover") == [("a", "b", "retry_after")]


async def test_later_requests_skip_the_cooling_provider_until_retry_after_passes(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Requests within the Retry-After skip the provider; after it, they try it again."""
    a, b = _limited("a", clock, retry_after=2.0), ScriptedProvider("b", clock)
    router = make_router([a, b], clock, observer)
    for _ in range(5):
        assert (await router.complete(request())).provider == "b"
    assert (a.calls, b.calls) == (1, 5)
    await clock.advance(2.5)
    assert (await router.complete(request())).provider == "b"
    assert a.calls == 2
    assert observer.of("attempts_per_request") == [(2,), (1,), (1,), (1,), (1,), (2,)]


async def test_the_last_provider_is_still_retried_after_its_retry_after(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """With every later provider cooling down, the request sleeps and retries instead."""
    a = ScriptedProvider("a", clock, steps=[Step(error=error("a", retry_after=1.5))])
    b = _limited("b", clock, retry_after=30.0)
    router = make_router([b, a], clock, observer)
    assert (await router.complete(request())).provider == "a"  # b -> cooling, a retried
    start = clock.monotonic()
    assert (await router.complete(request())).provider == "a"
    assert clock.monotonic() == start  # a answers at once now
    assert (b.calls, a.calls) == (1, 3)


async def test_a_lone_provider_sleeps_on_retry_after(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A one-provider chain keeps honouring Retry-After by sleeping before the retry."""
    a = ScriptedProvider("a", clock, steps=[Step(error=error("a", retry_after=3.0))])
    start = clock.monotonic()
    assert (await make_router([a], clock, observer).complete(request())).provider == "a"
    assert clock.monotonic() - start >= 3.0


async def test_streams_skip_a_cooling_provider_too(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A stream request fails over at once on Retry-After and later ones skip the provider."""
    a, b = _limited("a", clock), ScriptedProvider("b", clock)
    router = make_router([a, b], clock, observer)
    for _ in range(3):
        events = [e async for e in router.stream(request())]
        assert events[-1].provider == "b"  # type: ignore[union-attr]
    assert (a.calls, b.calls) == (1, 3)
    assert clock.monotonic() == 1000.0


async def test_with_the_flag_off_the_request_sleeps_on_the_failing_provider(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """The old behaviour: each request waits Retry-After on the provider, every time."""
    a, b = _limited("a", clock), ScriptedProvider("b", clock)
    router = make_router([a, b], clock, observer, config=RouterConfig(retry_after_failover=False))
    start = clock.monotonic()
    for _ in range(2):
        assert (await router.complete(request())).provider == "b"
    assert a.calls >= 5  # three for the first request, then its breaker opens (min_calls 5)
    assert clock.monotonic() - start >= 3.0


async def test_cooldowns_keep_the_later_deadline(clock: ManualClock) -> None:
    """A shorter Retry-After never shortens a running cooldown; it ends on time."""
    cooldowns = Cooldowns(clock)
    cooldowns.note("a", 5.0)
    cooldowns.note("a", 1.0)
    assert cooldowns.remaining("a") == 5.0
    await clock.advance(5.0)
    assert not cooldowns.cooling("a")
    assert cooldowns.remaining("b") == 0.0
