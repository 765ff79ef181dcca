"""The provider chain: retries, retry budget, breakers, failover and hedging.

``ProviderRouter`` satisfies the ``LLMProvider`` port itself, so the chat orchestration
calls it like one provider. It owns the providers it is given (``aclose`` closes them)
and keeps one breaker and one retry budget per provider for the life of the process,
shared by every request.

``complete``: the chain is the configured providers that serve the model, in order. At
each provider, attempts follow the retry policy while the retry budget, the breaker,
the request deadline and ``max_attempts_per_request`` allow; then the request fails over
to the next provider. An open breaker skips its provider without an attempt. A
non-retryable error (400, 401, 403, 404, context length) is raised at once: another
provider would refuse the same request. When the chain is spent: ``AllProvidersFailed``.

``stream``: the same, up to the first event. The first event commits the request to its
provider: nothing is yielded before it, so a stream that failed over never shows text
from two providers. A failure after it raises ``StreamInterrupted``.

Retry-After (``retry_after_failover``): a provider answering with ``Retry-After`` is
put in a cooldown shared by every request of the process (``cooldown.Cooldowns``); while
it cools down, a request skips it without an attempt when a later provider of the chain
is available (breaker not open, not cooling), and the request that got the header fails
over at once instead of sleeping. The last available provider is still retried after the
header's delay.

Unresponsive providers (``unresponsive_failover``): ``watch`` probes every provider every
few hundred milliseconds (``liveness.Liveness``); one that misses its probe is skipped like
a cooling one, and the attempts already waiting on it are cancelled and fail over at once
(while a later provider is available), instead of each waiting out its own timeout.

Hedging (``hedge_after_ms``): when a provider has given no answer (no first event, for
streams) after that long, the next provider of the chain starts too; the first answer
wins and the other is cancelled (a stream it opened is closed). A primary that loses the
race after running longer than the hedge delay was slower than the delay plus the whole
backup call: its breaker counts that as a failure (a slow call), so a provider that hangs
opens its breaker after ``min_calls`` such races and later requests skip it at no cost.

Attempt time is a fair share of the deadline: while later providers of the chain would
admit a call (their breaker is not open), one attempt may use at most the time left
divided by the providers still to try, so a hung provider can never eat the whole
deadline before failover.

Longer than this package's other modules (about 580 lines) on purpose: ``complete``,
``stream``, the per-provider lane and the hedged race all work on one request's state
(``_Call``) and on the shared breakers and budgets; apart, each piece would take that
state and half of the router's attributes as arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from service.domain.errors import AllProvidersFailed, ProviderError, StreamInterrupted
from service.domain.ports import Clock, LLMProvider
from service.domain.types import ChatRequest, Completion, StreamDone, StreamEvent
from service.resilience.breaker import BreakerConfig, CircuitBreaker, Permit
from service.resilience.budget import BudgetConfig, RetryBudget
from service.resilience.clock import SystemClock
from service.resilience.cooldown import Cooldowns
from service.resilience.liveness import Liveness
from service.resilience.observer import BreakerState, NoopObserver, ResilienceObserver
from service.resilience.retry import RetryConfig, RetryPolicy

__all__ = ["ProviderRouter", "RouterConfig"]

T = TypeVar("T")


class RouterConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Chain-wide knobs.

    - ``deadline_seconds``: budget of one request across attempts, backoffs and
      failovers (30.0); for a stream it bounds the time to its first event.
    - ``attempt_timeout_seconds``: one non-streaming attempt, capped by the deadline (20.0).
    - ``first_token_timeout_seconds``: one stream attempt's wait for its first event (10.0).
    - ``stream_timeout_seconds``: one committed stream from start to end (300.0).
    - ``max_attempts_per_request``: upstream attempts per request, all providers (6).
    - ``hedge_after_ms``: start the next provider when the current one has not answered
      after this many milliseconds; ``None`` turns hedging off (``None``).
    - ``retry_after_failover``: a ``Retry-After`` puts its provider in a cooldown shared
      by every request and fails over at once when a later provider is available,
      instead of sleeping on the failing one (``True``).
    - ``unresponsive_failover``: a provider that missed its liveness probe (``watch``) is
      skipped, and the attempts waiting on it fail over at once, while a later provider
      is available (``False``: without ``watch`` running nothing is ever unresponsive).
    """

    deadline_seconds: float = 30.0
    attempt_timeout_seconds: float = 20.0
    first_token_timeout_seconds: float = 10.0
    stream_timeout_seconds: float = 300.0
    max_attempts_per_request: int = 6
    hedge_after_ms: int | None = None
    retry_after_failover: bool = True
    unresponsive_failover: bool = False

    def __post_init__(self) -> None:
        if self.max_attempts_per_request < 1:
            raise ValueError("max_attempts_per_request must be >= 1")
        if self.hedge_after_ms is not None and self.hedge_after_ms < 0:
            raise ValueError("hedge_after_ms must be >= 0")


@dataclass
class _Call:
    """State of one client request across the chain."""

    deadline: float
    attempts: int = 0
    reason: str = "none"
    errors: list[ProviderError] = field(default_factory=list)


@dataclass
class _Lane:
    cancel_kind: str = "client_gone"
    slow_after: float | None = None
    """A ``hedge_lost`` attempt that ran this long counts as a failure (a slow call)."""


@dataclass
class _Won(Generic[T]):
    provider: LLMProvider
    value: T
    permit: Permit
    started: float


@dataclass
class _Opened:
    events: AsyncIterator[StreamEvent]
    first: StreamEvent


Attempt = Callable[[LLMProvider, float], Awaitable[T]]
Discard = Callable[[_Won[T]], Awaitable[None]]


class ProviderRouter:
    """A chain of providers behind one ``LLMProvider`` face; see the module docstring."""

    name = "router"

    def __init__(
        self,
        providers: Sequence[LLMProvider],
        *,
        config: RouterConfig | None = None,
        retry: RetryConfig | None = None,
        breaker: BreakerConfig | None = None,
        budget: BudgetConfig | None = None,
        clock: Clock | None = None,
        observer: ResilienceObserver | None = None,
        rng: random.Random | None = None,
    ) -> None:
        names = [p.name for p in providers]
        if len(set(names)) != len(names):
            raise ValueError(f"provider names must be unique: {names}")
        self.config = config or RouterConfig()
        self._providers = tuple(providers)
        self._clock: Clock = clock or SystemClock()
        self._observer: ResilienceObserver = observer or NoopObserver()
        self._policy = RetryPolicy(retry or RetryConfig(), rng=rng)
        breaker_config = breaker or BreakerConfig()
        budget_config = budget or BudgetConfig()
        self._breakers = {
            n: CircuitBreaker(n, breaker_config, clock=self._clock, observer=self._observer)
            for n in names
        }
        self._budgets = {n: RetryBudget(budget_config, clock=self._clock) for n in names}
        self._cooldowns = Cooldowns(self._clock)
        self._liveness = Liveness()

    @property
    def providers(self) -> tuple[LLMProvider, ...]:
        return self._providers

    def breaker_states(self) -> dict[str, BreakerState]:
        """Each provider's breaker state, by name."""
        return {name: b.state for name, b in self._breakers.items()}

    def serves(self, model: str) -> bool:
        return any(p.serves(model) for p in self._providers)

    async def ping(self) -> bool:
        """``True`` when at least one provider answers its probe."""
        return any((await self.ping_all()).values())

    async def ping_all(self) -> dict[str, bool]:
        """Each provider's probe result, by name."""
        results = await asyncio.gather(*(p.ping() for p in self._providers))
        return {p.name: ok for p, ok in zip(self._providers, results, strict=True)}

    async def watch(self, interval: float, timeout: float) -> None:
        """Probe every provider every ``interval`` seconds, each probe bounded by
        ``timeout``, and keep their liveness current; runs until cancelled."""
        await asyncio.gather(*(self._watch_one(p, interval, timeout) for p in self._providers))

    async def _watch_one(self, provider: LLMProvider, interval: float, timeout: float) -> None:
        while True:
            started = self._clock.monotonic()
            self._liveness.note(provider.name, await self._probe(provider, timeout))
            await self._clock.sleep(max(0.0, interval - (self._clock.monotonic() - started)))

    async def _probe(self, provider: LLMProvider, timeout: float) -> bool:
        """Whether ``provider`` answered its probe within ``timeout`` (on the router's clock)."""
        ping = asyncio.ensure_future(provider.ping())
        timer = asyncio.ensure_future(self._clock.sleep(timeout))
        try:
            await asyncio.wait({ping, timer}, return_when=asyncio.FIRST_COMPLETED)
            answered = ping.done() and not ping.cancelled() and ping.exception() is None
            return answered and bool(ping.result())
        finally:
            for task in (ping, timer):
                task.cancel()
            await asyncio.gather(ping, timer, return_exceptions=True)

    def unresponsive(self) -> list[str]:
        """The providers whose last liveness probe failed."""
        return [p.name for p in self._providers if self._liveness.unresponsive(p.name)]

    async def aclose(self) -> None:
        """Close every provider (the router owns them)."""
        await asyncio.gather(*(p.aclose() for p in self._providers), return_exceptions=True)

    async def complete(
        self,
        request: ChatRequest,
        *,
        timeout: float | None = None,
    ) -> Completion:
        """One answer; ``timeout`` overrides ``deadline_seconds`` for this request."""
        cfg = self.config
        budget = cfg.deadline_seconds if timeout is None else timeout
        call = _Call(self._clock.monotonic() + budget)

        async def attempt(provider: LLMProvider, remaining: float) -> Completion:
            return await provider.complete(
                request, timeout=min(cfg.attempt_timeout_seconds, remaining)
            )

        try:
            won = await self._run_chain(request, call, attempt, settle=True, discard=_noop)
        finally:
            self._observer.attempts_per_request(call.attempts)
        return won.value

    async def stream(
        self,
        request: ChatRequest,
        *,
        first_token_timeout: float | None = None,
        total_timeout: float | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """``StreamDelta`` events then one ``StreamDone``, all from one provider.

        Raises ``ProviderError`` (non-retryable) or ``AllProvidersFailed`` before the
        first event, ``StreamInterrupted`` after it.
        """
        cfg = self.config
        call = _Call(self._clock.monotonic() + cfg.deadline_seconds)
        ftt = first_token_timeout
        if ftt is None:
            ftt = cfg.first_token_timeout_seconds
        total = cfg.stream_timeout_seconds if total_timeout is None else total_timeout

        async def attempt(provider: LLMProvider, remaining: float) -> _Opened:
            events = provider.stream(
                request, first_token_timeout=min(ftt, remaining), total_timeout=total
            )
            try:
                first = await anext(events)
            except StopAsyncIteration:
                raise ProviderError(
                    "stream ended before its first event",
                    provider=provider.name,
                    kind="stream",
                    retryable=True,
                ) from None
            except BaseException:
                await _aclose(events)
                raise
            return _Opened(events, first)

        try:
            won = await self._run_chain(request, call, attempt, settle=False, discard=self._drop)
        finally:
            self._observer.attempts_per_request(call.attempts)
        name = won.provider.name
        self._observer.first_token(name, self._clock.monotonic() - won.started)
        breaker = self._breakers[name]
        events, event = won.value.events, won.value.first
        settled = False
        try:
            while True:
                yield event
                if isinstance(event, StreamDone):
                    breaker.success(won.permit)
                    settled = True
                    return
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    raise ProviderError(
                        "stream ended without its final event",
                        provider=name,
                        kind="stream",
                        retryable=True,
                    ) from None
        except ProviderError as error:
            breaker.failure(won.permit)
            settled = True
            self._observer.stream_interrupted(name, error.kind)
            raise StreamInterrupted(
                f"stream from {name} failed after its first token: {error.kind}",
                provider=name,
                kind=error.kind,
            ) from error
        finally:
            if not settled:
                breaker.release(won.permit)
            await _aclose(events)

    async def _drop(self, won: _Won[_Opened]) -> None:
        self._breakers[won.provider.name].release(won.permit)
        await _aclose(won.value.events)

    def _chain(self, model: str) -> list[LLMProvider]:
        chain = [p for p in self._providers if p.serves(model)]
        if not chain:
            raise ProviderError(
                f"no provider serves model {model!r}",
                provider=self.name,
                kind="not_found",
                retryable=False,
                status=404,
            )
        return chain

    def _spent(self, call: _Call) -> bool:
        return (
            call.attempts >= self.config.max_attempts_per_request
            or self._clock.monotonic() >= call.deadline
        )

    async def _run_chain(
        self,
        request: ChatRequest,
        call: _Call,
        attempt: Attempt[T],
        *,
        settle: bool,
        discard: Discard[T],
    ) -> _Won[T]:
        chain = self._chain(request.model)
        hedge = self.config.hedge_after_ms
        i = 0
        while i < len(chain):
            won: _Won[T] | None
            if hedge is not None and i + 1 < len(chain):
                won = await self._hedged(chain, i, call, attempt, settle, discard)
                i += 2
            else:
                won = await self._lane(chain[i], call, attempt, settle, _Lane(), chain[i + 1 :])
                i += 1
            if won is not None:
                return won
            if i >= len(chain) or self._spent(call):
                break
            self._observer.failover(chain[i - 1].name, chain[i].name, call.reason)
        raise AllProvidersFailed(
            f"no provider answered ({call.reason}, {call.attempts} attempts)",
            errors=tuple(call.errors),
        )

    async def _lane(
        self,
        provider: LLMProvider,
        call: _Call,
        attempt: Attempt[T],
        settle: bool,
        lane: _Lane,
        later: Sequence[LLMProvider],
    ) -> _Won[T] | None:
        """Attempts at one provider; ``None`` when it is time to move on. ``later``: the
        providers of the chain after this one (they get a share of the deadline)."""
        name = provider.name
        breaker, budget = self._breakers[name], self._budgets[name]
        tries = 0
        while True:
            now = self._clock.monotonic()
            if call.attempts >= self.config.max_attempts_per_request:
                call.reason = "attempts_exhausted"
                return None
            if now >= call.deadline:
                call.reason = "deadline"
                call.errors.append(_skip(name, "deadline", "request deadline passed"))
                return None
            if tries == 0 and self._cooling(name) and self._available(later):
                call.reason = "retry_after"
                call.errors.append(_skip(name, "retry_after", "cooling down after Retry-After"))
                return None
            if self._unresponsive(name) and self._available(later):
                call.reason = "unresponsive"
                call.errors.append(_skip(name, "unresponsive", "missed its liveness probe"))
                return None
            permit = breaker.acquire()
            if permit is None:
                self._observer.short_circuit(name)
                call.reason = "breaker_open"
                call.errors.append(_skip(name, "breaker_open", "circuit breaker open"))
                return None
            if tries == 0:
                budget.record_request()
            tries += 1
            call.attempts += 1
            try:
                work = attempt(provider, self._share(call.deadline - now, later))
                value = await self._watched(name, work, later)
            except ProviderError as error:
                self._observer.attempt(name, "error", error.kind, self._clock.monotonic() - now)
                if not error.retryable:
                    breaker.release(permit)
                    raise
                breaker.failure(permit)
                call.errors.append(error)
                call.reason = error.kind
                if self._cool_down(name, error) and self._available(later):
                    too_long = (error.retry_after or 0.0) > self._policy.config.retry_after_cap
                    call.reason = "retry_after_too_long" if too_long else "retry_after"
                    return None
                if self._unresponsive(name) and self._available(later):
                    return None
                delay = self._policy.delay(tries, error)
                if delay is None:
                    if tries < self._policy.config.max_attempts:
                        call.reason = "retry_after_too_long"
                    return None
                if self._clock.monotonic() + delay >= call.deadline:
                    call.reason = "deadline"
                    return None
                if not budget.try_withdraw():
                    self._observer.budget_exhausted(name)
                    call.reason = "budget_exhausted"
                    return None
                self._observer.retry(name, error.kind)
                await self._clock.sleep(delay)
            except asyncio.CancelledError:
                seconds = self._clock.monotonic() - now
                slow = lane.cancel_kind == "hedge_lost" and lane.slow_after is not None
                if slow and seconds >= (lane.slow_after or 0.0):
                    breaker.failure(permit)
                else:
                    breaker.release(permit)
                self._observer.attempt(name, "cancelled", lane.cancel_kind, seconds)
                raise
            else:
                if settle:
                    breaker.success(permit)
                self._observer.attempt(name, "success", "ok", self._clock.monotonic() - now)
                return _Won(provider, value, permit, now)

    async def _watched(self, name: str, work: Awaitable[T], later: Sequence[LLMProvider]) -> T:
        """``work`` (an attempt at ``name``), given up with kind ``unresponsive`` when
        ``name`` misses its liveness probe meanwhile and a later provider is available."""
        if not self.config.unresponsive_failover or not later:
            return await work
        task = asyncio.ensure_future(work)
        try:
            down: asyncio.Future[Any] = self._liveness.signal(name)
            await asyncio.wait({task, down}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done() and self._available(later):
                raise ProviderError(
                    "stopped answering its liveness probe",
                    provider=name,
                    kind="unresponsive",
                    retryable=True,
                )
            return await task
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    def _unresponsive(self, name: str) -> bool:
        return self.config.unresponsive_failover and self._liveness.unresponsive(name)

    def _cooling(self, name: str) -> bool:
        return self.config.retry_after_failover and self._cooldowns.cooling(name)

    def _cool_down(self, name: str, error: ProviderError) -> bool:
        """Start ``name``'s cooldown when ``error`` carries a Retry-After (and the flag is on)."""
        if not self.config.retry_after_failover or error.retry_after is None:
            return False
        self._cooldowns.note(name, error.retry_after)
        return True

    def _admits(self, name: str) -> bool:
        """Whether ``name`` would take a call now: breaker not open, not unresponsive."""
        return self._breakers[name].state is not BreakerState.OPEN and not self._unresponsive(name)

    def _available(self, later: Sequence[LLMProvider]) -> bool:
        """Whether a later provider could take the call now (it admits one, not cooling)."""
        return any(self._admits(p.name) and not self._cooling(p.name) for p in later)

    def _share(self, remaining: float, later: Sequence[LLMProvider]) -> float:
        """The time one attempt may take: ``remaining`` split evenly with the later
        providers that would admit a call."""
        admitting = sum(1 for p in later if self._admits(p.name))
        return remaining / (1 + admitting)

    async def _hedged(
        self,
        chain: Sequence[LLMProvider],
        i: int,
        call: _Call,
        attempt: Attempt[T],
        settle: bool,
        discard: Discard[T],
    ) -> _Won[T] | None:
        """Race ``chain[i + 1]`` against ``chain[i]`` once that one is slower than the
        hedge delay."""
        first, second = chain[i], chain[i + 1]
        delay = (self.config.hedge_after_ms or 0) / 1000
        lanes = {first.name: _Lane(slow_after=delay), second.name: _Lane()}
        tasks: dict[asyncio.Task[_Won[T] | None], LLMProvider] = {}
        timer = asyncio.ensure_future(self._clock.sleep(delay))
        primary = asyncio.ensure_future(
            self._lane(first, call, attempt, settle, lanes[first.name], chain[i + 1 :])
        )
        tasks[primary] = first
        winner: _Won[T] | None = None
        raced = False
        try:
            await asyncio.wait({primary, timer}, return_when=asyncio.FIRST_COMPLETED)
            if primary.done():
                winner = primary.result()
                if winner is not None or self._spent(call):
                    return winner
                self._observer.failover(first.name, second.name, call.reason)
                rest = chain[i + 2 :]
                winner = await self._lane(second, call, attempt, settle, lanes[second.name], rest)
                return winner
            raced = True
            backup = asyncio.ensure_future(
                self._lane(second, call, attempt, settle, lanes[second.name], chain[i + 2 :])
            )
            tasks[backup] = second
            pending: set[asyncio.Task[_Won[T] | None]] = set(tasks)
            while pending and winner is None:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in (t for t in tasks if t in done):
                    won = task.result()
                    if won is not None and winner is None:
                        winner = won
                    elif won is not None:
                        await discard(won)
            return winner
        finally:
            timer.cancel()
            for task, provider in tasks.items():
                if not task.done():
                    lanes[provider.name].cancel_kind = "hedge_lost" if winner else "client_gone"
                    task.cancel()
            for task in tasks:
                result = (await asyncio.gather(task, return_exceptions=True))[0]
                if isinstance(result, _Won) and result is not winner:
                    await discard(result)
            if raced:
                won_by = winner.provider.name if winner else "none"
                self._observer.hedge(first.name, second.name, won_by)


def _skip(provider: str, kind: str, detail: str) -> ProviderError:
    return ProviderError(detail, provider=provider, kind=kind, retryable=True)


async def _noop(_: object) -> None:
    return None


async def _aclose(events: AsyncIterator[StreamEvent]) -> None:
    close = getattr(events, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):  # a failing close must not mask the outcome
            await close()
