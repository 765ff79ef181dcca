"""``LLMProvider`` over OpenAI's Chat Completions API with the official ``openai`` SDK.

A completion is the SDK's ``chat.completions.create`` request sent through the client's
``post`` (the SDK's documented way to send a body as is) with the plain JSON params built
here, which skips the SDK's per-call parameter transform. The SDK runs with
``max_retries=0`` (the router decides on retries) on its aiohttp transport unless
``http_backend="httpx"``. Timeouts: connect and pool waits from the
config; a call's total is bounded by ``asyncio.timeout`` as well as by the SDK; a stream
must show its first token within ``first_token_timeout`` and then finish within
``total_timeout`` (each capped by the config) with no gap longer than the first-token
timeout. A stream that ends without a ``finish_reason`` raises ``ProviderError(kind="stream")``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletion

from service.adapters.providers._base import SDKProvider
from service.adapters.providers._http import call_timeout, next_before, stream_timeout
from service.adapters.providers.config import ProviderConfig
from service.adapters.providers.errors import VENDOR_ERRORS, to_provider_error
from service.domain.errors import ProviderError
from service.domain.types import (
    ChatRequest,
    Completion,
    StreamDelta,
    StreamDone,
    StreamEvent,
    Usage,
)

__all__ = ["OpenAIProvider"]

_ERRORS: tuple[type[Exception], ...] = (openai.OpenAIError, *VENDOR_ERRORS)
"""What a call to this SDK may raise for a bad upstream."""


class OpenAIProvider(SDKProvider[openai.AsyncOpenAI]):
    """One OpenAI-compatible upstream; see the module docstring. Owns its SDK client."""

    kind = "openai"

    def _build_client(
        self, config: ProviderConfig, *, timeout: httpx2.Timeout, limits: httpx2.Limits
    ) -> openai.AsyncOpenAI:
        http_client = (
            openai.DefaultAioHttpClient(timeout=timeout, limits=limits)
            if config.http_backend == "aiohttp"
            else openai.DefaultAsyncHttpxClient(timeout=timeout, limits=limits)
        )
        return openai.AsyncOpenAI(
            api_key=config.api_key,
            base_url=config.base_url,
            max_retries=0,
            timeout=timeout,
            http_client=http_client,
        )

    def _params(self, request: ChatRequest) -> dict[str, Any]:
        vendor = self._vendor_model(request)
        params: dict[str, Any] = {
            "model": vendor,
            "messages": [{"role": m.role.value, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.top_p is not None:
            params["top_p"] = request.top_p
        if request.stop:
            params["stop"] = list(request.stop)
        return params

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion:
        """One chat completion within ``timeout`` seconds (capped by ``timeouts.total``)."""
        params = self._params(request)
        total = min(timeout, self.config.timeouts.total)
        try:
            async with asyncio.timeout(total):
                # ``chat.completions.create`` minus its parameter transform: that walks
                # the typed-dict schema of every argument (about 0.25 ms of CPU a call)
                # to return the plain JSON ``_params`` already builds. Same request,
                # client, auth, transport, errors and parsing.
                response = await self._client.post(
                    "/chat/completions",
                    body=params,
                    cast_to=ChatCompletion,
                    options={
                        "timeout": call_timeout(self.config, total),
                        "security": {"bearer_auth": True},
                    },
                )
        except _ERRORS as exc:
            raise to_provider_error(exc, provider=self.name) from exc
        if not response.choices:
            raise ProviderError(
                f"{self.name}: answer without choices",
                provider=self.name,
                kind="protocol",
                retryable=True,
            )
        choice = response.choices[0]
        usage = response.usage
        finish: str | None = choice.finish_reason  # typed as always set; it may be null
        return Completion(
            text=choice.message.content or "",
            provider=self.name,
            model=response.model or str(params["model"]),
            usage=Usage(usage.prompt_tokens, usage.completion_tokens) if usage else Usage(),
            finish_reason=finish or "stop",
        )

    async def stream(
        self, request: ChatRequest, *, first_token_timeout: float, total_timeout: float
    ) -> AsyncIterator[StreamEvent]:
        """``StreamDelta`` per content piece, then ``StreamDone`` with usage when sent."""
        params = self._params(request)
        t = self.config.timeouts
        first = min(first_token_timeout, t.first_token)
        total = min(total_timeout, t.total)
        loop = asyncio.get_running_loop()
        start = loop.time()
        first_deadline, end = start + min(first, total), start + total
        try:
            async with asyncio.timeout_at(first_deadline):
                chunks = await self._client.chat.completions.create(
                    **params,
                    stream=True,
                    stream_options={"include_usage": True},
                    timeout=stream_timeout(self.config, first, total),
                )
        except _ERRORS as exc:
            raise to_provider_error(exc, provider=self.name) from exc
        started = False
        finish: str | None = None
        usage = Usage()
        model = str(params["model"])
        try:
            while True:
                try:
                    chunk = await next_before(
                        chunks,
                        end if started else first_deadline,
                        provider=self.name,
                        errors=_ERRORS,
                    )
                except StopAsyncIteration:
                    break
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices[:1]:
                    if choice.delta.content:
                        started = True
                        yield StreamDelta(choice.delta.content)
                    if choice.finish_reason:
                        finish = choice.finish_reason
                        started = True
        finally:
            await chunks.close()
        if finish is None:
            raise ProviderError(
                f"{self.name}: stream ended without finish_reason",
                provider=self.name,
                kind="stream",
                retryable=True,
            )
        yield StreamDone(provider=self.name, model=model, usage=usage, finish_reason=finish)
