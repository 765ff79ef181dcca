"""What both SDK adapters share: the client they own, timeouts and deadlines, the error
mapping around every call, model mapping, readiness and close.

A vendor adapter says only what differs: its SDK (``sdk``, ``client_class``,
``errors``), the request body (``_params``), the one call that answers (``_create``) and
how the answer reads (``_completion``), the call that opens a stream (``_open_stream``)
and how its events read (``_events``).

Every upstream call carries the current request's id in an ``x-request-id`` header
(``upstream_headers``): the id the service returned to its client, so what an upstream
records per request (the fake providers count attempts by it) joins the service's. Retries,
failovers and hedged attempts are calls of their own and carry it each; tasks started for
a request (a hedged race) inherit its context. A call outside any request (the readiness
probe loop) sends no such header.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import httpx2

from service.adapters.providers._http import call_timeout, next_before, pool_limits, stream_timeout
from service.adapters.providers.config import ProviderConfig
from service.adapters.providers.errors import to_provider_error
from service.domain.errors import ProviderError
from service.domain.types import ChatRequest, Completion, StreamEvent
from service.telemetry.context import current_record

__all__ = ["REQUEST_ID_HEADER", "SDKProvider", "StreamReader", "upstream_headers"]

REQUEST_ID_HEADER = "x-request-id"


def upstream_headers() -> dict[str, str]:
    """The headers every upstream call adds: the current request's id (already sanitized
    by the HTTP middleware), or none outside a request."""
    record = current_record()
    return {} if record is None else {REQUEST_ID_HEADER: record.request_id}


class _SDKClient(Protocol):
    """The part of ``openai.AsyncOpenAI`` and ``anthropic.AsyncAnthropic`` used here."""

    @property
    def models(self) -> Any: ...

    async def close(self) -> None: ...


class _SDKStream(Protocol):
    """An opened SDK stream: async iterable of vendor events, closed when done."""

    def __aiter__(self) -> AsyncIterator[Any]: ...

    async def close(self) -> None: ...


C = TypeVar("C", bound=_SDKClient)


class StreamReader:
    """Reads an opened SDK stream against its deadlines: the first-token deadline until
    the adapter marks the stream ``started``, then the end of the whole stream."""

    def __init__(
        self,
        events: _SDKStream,
        *,
        first_deadline: float,
        end: float,
        provider: str,
        errors: tuple[type[Exception], ...],
    ) -> None:
        self._events = aiter(events)
        self._first_deadline = first_deadline
        self._end = end
        self._provider = provider
        self._errors = errors
        self.started = False
        """Set by the adapter at the first token (or final event): later reads wait for
        the end of the stream instead of the first-token deadline."""

    async def next(self) -> Any:
        """The next vendor event; ``StopAsyncIteration`` at the end; ``ProviderError``
        when the deadline passes or the stream breaks."""
        deadline = self._end if self.started else self._first_deadline
        return await next_before(
            self._events, deadline, provider=self._provider, errors=self._errors
        )


class SDKProvider(abc.ABC, Generic[C]):
    """One upstream reached through its vendor's SDK client, which this object owns."""

    kind: ClassVar[str]
    sdk: ClassVar[Any]
    """The vendor SDK module; its ``DefaultAioHttpClient`` / ``DefaultAsyncHttpxClient``
    are the transports."""
    client_class: ClassVar[type[Any]]
    """The SDK's async client class (``openai.AsyncOpenAI``, ``anthropic.AsyncAnthropic``)."""
    errors: ClassVar[tuple[type[Exception], ...]]
    """What a call to this SDK may raise for a bad upstream: the SDK's base error and
    ``VENDOR_ERRORS``."""

    def __init__(self, config: ProviderConfig) -> None:
        if config.kind != self.kind:
            name = type(self).__name__
            raise ValueError(f"{name} needs kind {self.kind!r}, got {config.kind!r}")
        self.config = config
        timeout = call_timeout(config, config.timeouts.total)
        limits = pool_limits(config)
        transport = (
            self.sdk.DefaultAioHttpClient
            if config.http_backend == "aiohttp"
            else self.sdk.DefaultAsyncHttpxClient
        )
        # ``max_retries=0``: the router decides on retries.
        self._client: C = self.client_class(
            api_key=config.api_key,
            base_url=config.base_url,
            max_retries=0,
            timeout=timeout,
            http_client=transport(timeout=timeout, limits=limits),
        )

    # -- what a vendor adapter provides ---------------------------------------------------

    @abc.abstractmethod
    def _params(self, request: ChatRequest) -> dict[str, Any]:
        """The vendor's request body for ``request`` (``_vendor_model`` names the model)."""

    @abc.abstractmethod
    async def _create(
        self, params: dict[str, Any], timeout: httpx2.Timeout, headers: Mapping[str, str]
    ) -> Any:
        """Send one non-streaming request with ``headers`` added; the SDK's parsed answer."""

    @abc.abstractmethod
    def _completion(self, answer: Any, params: dict[str, Any]) -> Completion:
        """Our ``Completion`` from the SDK's answer (``ProviderError`` when malformed)."""

    @abc.abstractmethod
    async def _open_stream(
        self, params: dict[str, Any], timeout: httpx2.Timeout, headers: Mapping[str, str]
    ) -> _SDKStream:
        """Open a stream with ``headers`` added; the SDK's stream object."""

    @abc.abstractmethod
    def _events(
        self, reader: StreamReader, params: dict[str, Any]
    ) -> AsyncGenerator[StreamEvent, None]:
        """``StreamDelta``s then one ``StreamDone`` read from ``reader`` (mark
        ``reader.started`` at the first token); ``ProviderError(kind="stream")`` when the
        stream ends without its final event."""

    # -- the LLMProvider port ------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.config.name

    def serves(self, model: str) -> bool:
        return self.config.vendor_model(model) is not None

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion:
        """One answer within ``timeout`` seconds (capped by ``timeouts.total``), bounded by
        ``asyncio.timeout`` as well as by the SDK."""
        params = self._params(request)
        total = min(timeout, self.config.timeouts.total)
        try:
            async with asyncio.timeout(total):
                http_timeout = call_timeout(self.config, total)
                answer = await self._create(params, http_timeout, upstream_headers())
        except self.errors as exc:
            raise to_provider_error(exc, provider=self.name) from exc
        return self._completion(answer, params)

    async def stream(
        self, request: ChatRequest, *, first_token_timeout: float, total_timeout: float
    ) -> AsyncIterator[StreamEvent]:
        """The first token within ``first_token_timeout``, the whole stream within
        ``total_timeout`` (each capped by the config), no read silent longer than the
        first-token timeout (the SDK transport's read timeout)."""
        params = self._params(request)
        t = self.config.timeouts
        first = min(first_token_timeout, t.first_token)
        total = min(total_timeout, t.total)
        start = asyncio.get_running_loop().time()
        first_deadline, end = start + min(first, total), start + total
        try:
            async with asyncio.timeout_at(first_deadline):
                http_timeout = stream_timeout(self.config, first, total)
                events = await self._open_stream(params, http_timeout, upstream_headers())
        except self.errors as exc:
            raise to_provider_error(exc, provider=self.name) from exc
        reader = StreamReader(
            events, first_deadline=first_deadline, end=end, provider=self.name, errors=self.errors
        )
        try:
            async with contextlib.aclosing(self._events(reader, params)) as parsed:
                async for event in parsed:
                    yield event
        finally:
            await events.close()

    def _vendor_model(self, request: ChatRequest) -> str:
        """The vendor's name for the requested model; ``not_found`` when not served."""
        vendor = self.config.vendor_model(request.model)
        if vendor is None:
            raise ProviderError(
                f"{self.name} does not serve {request.model!r}",
                provider=self.name,
                kind="not_found",
                retryable=False,
            )
        return vendor

    def _ended_without(self, what: str) -> ProviderError:
        """A stream that ended before its final event (``what`` names it)."""
        return ProviderError(
            f"{self.name}: stream ended without {what}",
            provider=self.name,
            kind="stream",
            retryable=True,
        )

    async def ping(self) -> bool:
        """``GET /v1/models`` answers within the connect + first-token timeouts."""
        t = self.config.timeouts
        try:
            async with asyncio.timeout(t.connect + t.first_token):
                await self._client.models.list(
                    timeout=call_timeout(self.config, t.first_token),
                    extra_headers=upstream_headers(),
                )
        except Exception:
            return False
        return True

    async def aclose(self) -> None:
        await self._client.close()
