"""Answers to one ``ChatRequest``: the response cache first, then the provider backend.

Deterministic requests (temperature 0) are looked up in the response cache (in the same
Redis round trip as the caller's pending rate-limit admission) and stored there in the
background after the backend answered: a cache write never adds latency and never
fails a request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import Protocol

import msgspec

from service.domain.admission import PendingAdmission
from service.domain.errors import DependencyUnavailable
from service.domain.guards import Guards, Unavailable, discard
from service.domain.policy import ChatObserver
from service.domain.ports import ResponseCache
from service.domain.types import ChatRequest, Completion, StreamDelta, StreamDone, StreamEvent

__all__ = ["Answer", "Answerer", "ChatBackend", "completion_of", "replay_events"]


class ChatBackend(Protocol):
    """What answers a ``ChatRequest``: the provider router with its resilience."""

    async def complete(self, request: ChatRequest) -> Completion:
        """Raises ``AllProvidersFailed`` when no provider could answer."""
        ...

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """``StreamDelta`` events then one ``StreamDone``; fails over only before the
        first event, raises ``StreamInterrupted`` after it."""
        ...


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    completion: Completion
    cached: bool


class Answerer:
    """Answers requests from the response cache or the backend."""

    def __init__(
        self,
        *,
        backend: ChatBackend,
        response_cache: ResponseCache | None,
        guards: Guards,
        observer: ChatObserver,
    ) -> None:
        self.backend = backend
        self.response_cache = response_cache
        self._guards = guards
        self._observer = observer
        self._writes: set[asyncio.Task[None]] = set()

    async def complete(
        self, request: ChatRequest, *, admission: PendingAdmission | None = None
    ) -> Answer:
        """Answer ``request``, from the response cache when it is deterministic.

        ``admission``: the caller's rate-limit admission, still to be decided; it is
        decided first (a refusal raises) and, when the cache is consulted, in the same
        Redis round trip as the lookup: both commands leave in one loop turn, which the
        Redis adapters send as one pipeline.
        """
        cached = await self._admit_and_lookup(request, admission)
        if cached is not None:
            self._report(cached, cached=True)
            return Answer(completion=cached, cached=True)
        completion = await self.backend.complete(request)
        self._report(completion, cached=False)
        self._cache_put_later(request, completion)
        return Answer(completion=completion, cached=False)

    async def stream(
        self, request: ChatRequest, *, admission: PendingAdmission | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Stream the answer to ``request``; a cache hit is one delta then done.

        Errors before the first event propagate from the first ``anext`` (so the caller
        can still answer with an HTTP error); ``StreamInterrupted`` after it.
        ``admission``: as for ``complete``.
        """
        cached = await self._admit_and_lookup(request, admission)
        if cached is not None:
            self._report(cached, cached=True)
            for event in replay_events(cached, cached=True):
                yield event
            return
        parts: list[str] = []
        async for event in self.backend.stream(request):
            if isinstance(event, StreamDelta):
                parts.append(event.text)
            else:
                completion = completion_of(parts, event)
                self._report(completion, cached=False)
                self._cache_put_later(request, completion)
            yield event

    def _report(self, completion: Completion, *, cached: bool) -> None:
        self._observer.chat_result(
            provider=completion.provider,
            model=completion.model,
            cached=cached,
            usage=completion.usage,
        )

    async def _admit_and_lookup(
        self, request: ChatRequest, admission: PendingAdmission | None
    ) -> Completion | None:
        if admission is None:
            return await self._cache_get(request)
        if self.response_cache is None or not request.deterministic:
            await admission.resolve()
            return None
        # The lookup's task starts before the admission's command is sent, so both are
        # queued in the same loop turn; a refusal discards the lookup, uncounted.
        lookup = asyncio.ensure_future(self.response_cache.get(request))
        try:
            await admission.resolve()
        except BaseException:
            lookup.add_done_callback(discard)
            raise
        return await self._cached(lookup)

    async def _cache_get(self, request: ChatRequest) -> Completion | None:
        if self.response_cache is None or not request.deterministic:
            return None
        return await self._cached(self.response_cache.get(request))

    async def _cached(self, lookup: Awaitable[Completion | None]) -> Completion | None:
        found = await self._guards.cache("response_cache", lookup, Unavailable())
        if isinstance(found, Unavailable):
            self._observer.cache_lookup("response", "error")
            return None
        self._observer.cache_lookup("response", "miss" if found is None else "hit")
        return found

    def _cache_put_later(self, request: ChatRequest, completion: Completion) -> None:
        """Store the answer in the background: the caller already has it, so a cache
        write never adds latency and never fails a request (a failure is counted)."""
        if self.response_cache is None or not request.deterministic:
            return
        task = asyncio.create_task(self._cache_put(self.response_cache, request, completion))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _cache_put(
        self, cache: ResponseCache, request: ChatRequest, completion: Completion
    ) -> None:
        try:
            await cache.put(request, completion)
        except DependencyUnavailable:
            self._observer.dependency_failure("response_cache", self._guards.config.cache_policy)

    async def aclose(self, *, timeout: float = 2.0) -> None:
        """Wait (at most ``timeout`` seconds) for background cache writes to finish."""
        if self._writes:
            await asyncio.wait(set(self._writes), timeout=timeout)


def replay_events(completion: Completion, *, cached: bool) -> tuple[StreamEvent, ...]:
    """A whole answer as a stream: one delta, then done."""
    return (
        StreamDelta(text=completion.text),
        StreamDone(
            provider=completion.provider,
            model=completion.model,
            usage=completion.usage,
            finish_reason=completion.finish_reason,
            cached=cached,
        ),
    )


def completion_of(parts: Sequence[str], done: StreamDone) -> Completion:
    """The whole answer of a finished stream."""
    return Completion(
        text="".join(parts),
        provider=done.provider,
        model=done.model,
        usage=done.usage,
        finish_reason=done.finish_reason,
    )
