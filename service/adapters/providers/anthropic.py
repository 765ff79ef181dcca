"""``LLMProvider`` over Anthropic's Messages API with the official ``anthropic`` SDK.

Same rules as the OpenAI adapter: ``max_retries=0``, aiohttp transport unless
``http_backend="httpx"``, connect/first-token/total timeouts. System messages become the
``system`` parameter. Stop reasons map to OpenAI's words (``end_turn`` and
``stop_sequence`` -> ``stop``, ``max_tokens`` -> ``length``). A stream that ends without
``message_stop`` (or a stop reason), or carries an ``error`` event, raises
``ProviderError(kind="stream")``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2

from service.adapters.providers._base import SDKProvider
from service.adapters.providers._http import call_timeout, next_before, stream_timeout
from service.adapters.providers.config import ProviderConfig
from service.adapters.providers.errors import VENDOR_ERRORS, to_provider_error
from service.domain.errors import ProviderError
from service.domain.types import (
    ChatRequest,
    Completion,
    Role,
    StreamDelta,
    StreamDone,
    StreamEvent,
    Usage,
)

__all__ = ["AnthropicProvider"]

_ERRORS: tuple[type[Exception], ...] = (anthropic.AnthropicError, *VENDOR_ERRORS)
"""What a call to this SDK may raise for a bad upstream."""

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


def _finish(stop_reason: str | None) -> str:
    return _FINISH.get(stop_reason or "end_turn", stop_reason or "stop")


class AnthropicProvider(SDKProvider[anthropic.AsyncAnthropic]):
    """One Anthropic upstream; see the module docstring. Owns its SDK client."""

    kind = "anthropic"

    def _build_client(
        self, config: ProviderConfig, *, timeout: httpx2.Timeout, limits: httpx2.Limits
    ) -> anthropic.AsyncAnthropic:
        http_client = (
            anthropic.DefaultAioHttpClient(timeout=timeout, limits=limits)
            if config.http_backend == "aiohttp"
            else anthropic.DefaultAsyncHttpxClient(timeout=timeout, limits=limits)
        )
        return anthropic.AsyncAnthropic(
            api_key=config.api_key,
            base_url=config.base_url,
            max_retries=0,
            timeout=timeout,
            http_client=http_client,
        )

    def _params(self, request: ChatRequest) -> dict[str, Any]:
        vendor = self._vendor_model(request)
        system = "\n\n".join(m.content for m in request.messages if m.role is Role.SYSTEM)
        params: dict[str, Any] = {
            "model": vendor,
            "max_tokens": request.max_tokens,
            "messages": [
                {"role": m.role.value, "content": m.content}
                for m in request.messages
                if m.role is not Role.SYSTEM
            ],
        }
        # This SDK's ``create`` has no ``temperature``/``top_p`` arguments any more; the
        # Messages API still takes them, so they go in the body as such.
        extra: dict[str, Any] = {"temperature": request.temperature}
        if request.top_p is not None:
            extra["top_p"] = request.top_p
        params["extra_body"] = extra
        if system:
            params["system"] = system
        if request.stop:
            params["stop_sequences"] = list(request.stop)
        return params

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion:
        """One message within ``timeout`` seconds (capped by ``timeouts.total``)."""
        params = self._params(request)
        total = min(timeout, self.config.timeouts.total)
        try:
            async with asyncio.timeout(total):
                message = await self._client.messages.create(
                    **params, timeout=call_timeout(self.config, total)
                )
        except _ERRORS as exc:
            raise to_provider_error(exc, provider=self.name) from exc
        text = "".join(
            block.text for block in message.content if getattr(block, "type", "") == "text"
        )
        return Completion(
            text=text,
            provider=self.name,
            model=message.model or str(params["model"]),
            usage=Usage(message.usage.input_tokens, message.usage.output_tokens),
            finish_reason=_finish(message.stop_reason),
        )

    async def stream(
        self, request: ChatRequest, *, first_token_timeout: float, total_timeout: float
    ) -> AsyncIterator[StreamEvent]:
        """``StreamDelta`` per text delta, then ``StreamDone`` after ``message_stop``."""
        params = self._params(request)
        t = self.config.timeouts
        first = min(first_token_timeout, t.first_token)
        total = min(total_timeout, t.total)
        loop = asyncio.get_running_loop()
        start = loop.time()
        first_deadline, end = start + min(first, total), start + total
        try:
            async with asyncio.timeout_at(first_deadline):
                events = await self._client.messages.create(
                    **params, stream=True, timeout=stream_timeout(self.config, first, total)
                )
        except _ERRORS as exc:
            raise to_provider_error(exc, provider=self.name) from exc
        started = stopped = False
        stop_reason: str | None = None
        model = str(params["model"])
        input_tokens = output_tokens = 0
        try:
            while not stopped:
                try:
                    event = await next_before(
                        events,
                        end if started else first_deadline,
                        provider=self.name,
                        errors=_ERRORS,
                    )
                except StopAsyncIteration:
                    break
                if event.type == "message_start":
                    model = event.message.model or model
                    input_tokens = event.message.usage.input_tokens
                elif event.type == "content_block_delta":
                    if event.delta.type == "text_delta" and event.delta.text:
                        started = True
                        yield StreamDelta(event.delta.text)
                elif event.type == "message_delta":
                    stop_reason = event.delta.stop_reason or stop_reason
                    output_tokens = event.usage.output_tokens
                    started = True
                elif event.type == "message_stop":
                    stopped = True
        finally:
            await events.close()
        if not stopped or stop_reason is None:
            raise ProviderError(
                f"{self.name}: stream ended without message_stop",
                provider=self.name,
                kind="stream",
                retryable=True,
            )
        yield StreamDone(
            provider=self.name,
            model=model,
            usage=Usage(input_tokens, output_tokens),
            finish_reason=_finish(stop_reason),
        )
