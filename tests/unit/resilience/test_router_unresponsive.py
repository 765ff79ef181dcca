"""Router and unresponsive providers: a provider that misses its liveness probe is skipped,
and the attempts already waiting on it fail over at once, while another provider is
available (``RouterConfig.unresponsive_failover``, with ``ProviderRouter.watch`` running)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from service.resilience.clock import ManualClock
from service.resilience.liveness import Liveness
from service.resilience.router import ProviderRouter, RouterConfig
from tests.unit.resilience.fakes import RecordingObserver, ScriptedProvider, Step, request
from tests.unit.resilience.routing import make_router

ON = RouterConfig(unresponsive_failover=True, first_token_timeout_seconds=10.0)
INTERVAL, TIMEOUT = 0.25, 0.5
HANG = Step(delay=1_000.0)


@dataclass
class Freezable(ScriptedProvider):
    """Answers its probe until ``frozen_at`` (virtual time); from then on the probe hangs."""

    frozen_at: float | None = None
    thawed_at: float | None = None

    async def ping(self) -> bool:
        now = self.clock.monotonic()
        frozen = self.frozen_at is not None and now >= self.frozen_at
        if frozen and (self.thawed_at is None or now < self.thawed_at):
            await self.clock.sleep(3_600.0)
        return True


@asynccontextmanager
async def watching(router: ProviderRouter) -> AsyncIterator[None]:
    task = asyncio.ensure_future(router.watch(INTERVAL, TIMEOUT))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _pair(clock: ManualClock, frozen_at: float, **a_steps: object) -> tuple[Freezable, Freezable]:
    a = Freezable("a", clock, default=HANG, frozen_at=frozen_at, **a_steps)  # type: ignore[arg-type]
    return a, Freezable("b", clock)


async def _stream_provider(router: ProviderRouter) -> str:
    events = [e async for e in router.stream(request())]
    return events[-1].provider  # type: ignore[union-attr]


async def test_a_waiting_stream_fails_over_when_its_provider_misses_a_probe(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A stream waiting on a provider that freezes moves on within interval + timeout of
    the freeze, not after its 10 s first-token wait."""
    a, b = _pair(clock, frozen_at=1000.5)
    router = make_router([a, b], clock, observer, config=ON)
    start = clock.monotonic()
    async with watching(router):
        assert await _stream_provider(router) == "b"
    assert clock.monotonic() - start <= 0.5 + INTERVAL + TIMEOUT
    assert observer.of("failover") == [("a", "b", "unresponsive")]
    assert ("a", "error", "unresponsive") in [o[:3] for o in observer.of("attempt")]
    assert a.closed_streams == 1  # the waiting attempt was cancelled and closed


async def test_requests_skip_an_unresponsive_provider_until_it_answers_again(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """While the probe fails, requests go straight to the next provider (no attempt at
    the frozen one); once it answers its probe again, it gets the traffic back."""
    a = Freezable("a", clock, frozen_at=1000.0, thawed_at=1005.0)
    b = Freezable("b", clock)
    router = make_router([a, b], clock, observer, config=ON)
    async with watching(router):
        await clock.sleep(1.0)
        assert router.unresponsive() == ["a"]
        for _ in range(3):
            assert (await router.complete(request())).provider == "b"
        assert a.calls == 0
        await clock.sleep(5.0)
        assert router.unresponsive() == []
        assert (await router.complete(request())).provider == "a"


async def test_a_non_streaming_attempt_fails_over_too(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """The same for ``complete``: the hung attempt is given up at the missed probe."""
    a, b = _pair(clock, frozen_at=1000.0)
    router = make_router([a, b], clock, observer, config=ON)
    start = clock.monotonic()
    async with watching(router):
        assert (await router.complete(request())).provider == "b"
    assert clock.monotonic() - start <= INTERVAL + TIMEOUT
    assert a.calls == 1


async def test_with_the_flag_off_the_attempt_waits_out_its_timeout(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """The old behaviour: the watch may run, but the stream waits its whole first-token
    wait on the frozen provider before failing over."""
    a, b = _pair(clock, frozen_at=1000.0)
    off = RouterConfig(unresponsive_failover=False, first_token_timeout_seconds=10.0)
    router = make_router([a, b], clock, observer, config=off)
    start = clock.monotonic()
    async with watching(router):
        assert await _stream_provider(router) == "b"
    assert clock.monotonic() - start >= 10.0
    assert observer.of("failover") == [("a", "b", "timeout")]


async def test_the_last_provider_is_never_given_up(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """With nowhere to go (a one-provider chain), an unresponsive provider still gets its
    attempts, and an answer that comes is kept."""
    a = Freezable("a", clock, default=Step(delay=3.0), frozen_at=1000.0)
    router = make_router([a], clock, observer, config=ON)
    async with watching(router):
        assert (await router.complete(request())).provider == "a"
    assert router.unresponsive() == ["a"]


async def test_a_slow_provider_that_answers_its_probe_is_not_unresponsive(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """A provider only slow to generate (8 s to its first token) keeps its requests: the
    probe catches silence, not slowness."""
    a = Freezable("a", clock, default=Step(delay=8.0))
    b = Freezable("b", clock)
    router = make_router([a, b], clock, observer, config=ON)
    async with watching(router):
        assert await _stream_provider(router) == "a"
    assert observer.of("failover") == []


async def test_an_attempt_keeps_the_share_an_unresponsive_later_provider_cannot_use(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """With the only later provider unresponsive, the attempt at the first gets the whole
    deadline instead of half of it."""
    a = Freezable("a", clock)
    b = Freezable("b", clock, frozen_at=1000.0)
    config = RouterConfig(unresponsive_failover=True, deadline_seconds=10.0)
    router = make_router([a, b], clock, observer, config=config)
    assert (await router.complete(request())).provider == "a"
    async with watching(router):
        await clock.sleep(1.0)
        assert (await router.complete(request())).provider == "a"
    assert a.timeouts == [5.0, 10.0]


async def test_liveness_signals_each_waiter_once_per_freeze() -> None:
    """``signal`` completes when the provider is next marked down, once; a recovery and a
    new failure make a new signal."""
    liveness = Liveness()
    first = liveness.signal("a")
    assert liveness.note("a", up=True) is False
    assert not first.done()
    assert liveness.note("a", up=False) is True
    assert first.done()
    assert liveness.unresponsive("a")
    assert liveness.note("a", up=False) is False
    assert liveness.note("a", up=True) is True
    second = liveness.signal("a")
    assert second is not first
    assert not second.done()
    assert not liveness.unresponsive("a")
