"""In-memory providers and a recording observer for the resilience tests (no network).

A ``ScriptedProvider`` plays one ``Step`` per call (then its ``default``); delays are
slept on the injected clock, so tests run in virtual time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

from service.domain.errors import ProviderError
from service.domain.ports import Clock
from service.domain.types import ChatRequest, Completion, Message, Role, StreamDelta, StreamDone
from service.domain.types import StreamEvent as StreamEventT
from service.resilience.observer import BreakerState

__all__ = [
    "RecordingObserver",
    "ScriptedProvider",
    "Step",
    "bad_request",
    "request",
    "server_error",
]


def request(model: str = "chat-small") -> ChatRequest:
    return ChatRequest(model=model, messages=(Message(Role.USER, "hi"),))


def server_error(provider: str, *, retry_after: float | None = None) -> ProviderError:
    kind = "rate_limit" if retry_after is not None else "server"
    status = 429 if retry_after is not None else 503
    return ProviderError(
        "boom", provider=provider, kind=kind, retryable=True, status=status, retry_after=retry_after
    )


def bad_request(provider: str, kind: str = "bad_request") -> ProviderError:
    return ProviderError("no", provider=provider, kind=kind, retryable=False, status=400)


@dataclass(frozen=True)
class Step:
    """One call's behaviour: wait ``delay`` virtual seconds, then fail with ``error`` or
    answer ``tokens``; streams may fail with ``error_after`` after ``fail_after`` tokens
    or end without their final event (``truncate``)."""

    delay: float = 0.0
    error: ProviderError | None = None
    tokens: tuple[str, ...] = ("Hello", " world")
    fail_after: int | None = None
    error_after: ProviderError | None = None
    truncate: bool = False


@dataclass
class ScriptedProvider:
    name: str
    clock: Clock
    steps: Iterable[Step] = ()
    default: Step = field(default_factory=Step)
    models: frozenset[str] = frozenset({"chat-small"})
    calls: int = 0
    closed_streams: int = 0
    finished_streams: int = 0
    closed: bool = False
    timeouts: list[float] = field(default_factory=list)
    """The timeout each call was given (``first_token_timeout`` for streams)."""

    def __post_init__(self) -> None:
        self._script = deque(self.steps)

    def _next(self) -> Step:
        self.calls += 1
        return self._script.popleft() if self._script else self.default

    def serves(self, model: str) -> bool:
        return model in self.models

    async def _wait(self, step: Step, timeout: float) -> None:
        if step.delay > timeout:
            await self.clock.sleep(timeout)
            raise ProviderError("timed out", provider=self.name, kind="timeout", retryable=True)
        if step.delay:
            await self.clock.sleep(step.delay)

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion:
        self.timeouts.append(timeout)
        step = self._next()
        await self._wait(step, timeout)
        if step.error is not None:
            raise step.error
        return Completion(text="".join(step.tokens), provider=self.name, model=request.model)

    async def stream(
        self, request: ChatRequest, *, first_token_timeout: float, total_timeout: float
    ) -> AsyncIterator[StreamEventT]:
        self.timeouts.append(first_token_timeout)
        step = self._next()
        try:
            await self._wait(step, first_token_timeout)
            if step.error is not None:
                raise step.error
            for index, token in enumerate(step.tokens):
                if step.fail_after is not None and index >= step.fail_after:
                    raise step.error_after or server_error(self.name)
                yield StreamDelta(token)
            if step.truncate:
                return
            yield StreamDone(provider=self.name, model=request.model)
            self.finished_streams += 1
        finally:
            self.closed_streams += 1

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class RecordingObserver:
    """Keeps every callback as a tuple ``(method, *args)``."""

    events: list[tuple[object, ...]] = field(default_factory=list)

    def of(self, method: str) -> list[tuple[object, ...]]:
        return [e[1:] for e in self.events if e[0] == method]

    def attempt(self, provider: str, outcome: str, kind: str, seconds: float) -> None:
        self.events.append(("attempt", provider, outcome, kind))

    def retry(self, provider: str, reason: str) -> None:
        self.events.append(("retry", provider, reason))

    def failover(self, from_provider: str, to_provider: str, reason: str) -> None:
        self.events.append(("failover", from_provider, to_provider, reason))

    def short_circuit(self, provider: str) -> None:
        self.events.append(("short_circuit", provider))

    def breaker_transition(self, provider: str, old: BreakerState, new: BreakerState) -> None:
        self.events.append(("breaker_transition", provider, old, new))

    def breaker_opened(self, provider: str, failures: int) -> None:
        self.events.append(("breaker_opened", provider, failures))

    def attempts_per_request(self, attempts: int) -> None:
        self.events.append(("attempts_per_request", attempts))

    def budget_exhausted(self, provider: str) -> None:
        self.events.append(("budget_exhausted", provider))

    def first_token(self, provider: str, seconds: float) -> None:
        self.events.append(("first_token", provider, seconds))

    def stream_interrupted(self, provider: str, kind: str) -> None:
        self.events.append(("stream_interrupted", provider, kind))

    def hedge(self, primary: str, secondary: str, winner: str) -> None:
        self.events.append(("hedge", primary, secondary, winner))
