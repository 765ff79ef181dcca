"""``LLMProvider`` over OpenAI's Chat Completions API with the official ``openai`` SDK.

A completion is the SDK's ``chat.completions.create`` request sent through the client's
``post`` (the SDK's documented way to send a body as is) with the plain JSON params built
here, which skips the SDK's per-call parameter transform. Client, timeouts and error
mapping: see ``SDKProvider``. A stream that ends without a ``finish_reason`` raises
``ProviderError(kind="stream")``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any, ClassVar

import httpx2
import openai
from openai.types.chat import ChatCompletion

from service.adapters.providers._base import SDKProvider, StreamReader
from service.adapters.providers.errors import VENDOR_ERRORS
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


class OpenAIProvider(SDKProvider[openai.AsyncOpenAI]):
    """One OpenAI-compatible upstream; see the module docstring. Owns its SDK client."""

    kind = "openai"
    sdk: ClassVar[Any] = openai
    client_class = openai.AsyncOpenAI
    errors: ClassVar[tuple[type[Exception], ...]] = (openai.OpenAIError, *VENDOR_ERRORS)

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

    async def _create(
        self, params: dict[str, Any], timeout: httpx2.Timeout, headers: Mapping[str, str]
    ) -> ChatCompletion:
        # ``chat.completions.create`` minus its parameter transform: that walks the
        # typed-dict schema of every argument (about 0.25 ms of CPU a call) to return the
        # plain JSON ``_params`` already builds. Same request, client, auth, transport,
        # errors and parsing.
        return await self._client.post(
            "/chat/completions",
            body=params,
            cast_to=ChatCompletion,
            options={"timeout": timeout, "headers": headers, "security": {"bearer_auth": True}},
        )

    def _completion(self, answer: ChatCompletion, params: dict[str, Any]) -> Completion:
        if not answer.choices:
            raise ProviderError(
                f"{self.name}: answer without choices",
                provider=self.name,
                kind="protocol",
                retryable=True,
            )
        choice = answer.choices[0]
        usage = answer.usage
        finish: str | None = choice.finish_reason  # typed as always set; it may be null
        return Completion(
            text=choice.message.content or "",
            provider=self.name,
            model=answer.model or str(params["model"]),
            usage=Usage(usage.prompt_tokens, usage.completion_tokens) if usage else Usage(),
            finish_reason=finish or "stop",
        )

    async def _open_stream(
        self, params: dict[str, Any], timeout: httpx2.Timeout, headers: Mapping[str, str]
    ) -> Any:  # the SDK's AsyncStream
        return await self._client.chat.completions.create(
            **params,
            stream=True,
            stream_options={"include_usage": True},
            timeout=timeout,
            extra_headers=headers,
        )

    async def _events(
        self, reader: StreamReader, params: dict[str, Any]
    ) -> AsyncGenerator[StreamEvent, None]:
        """``StreamDelta`` per content piece, then ``StreamDone`` with usage when sent."""
        finish: str | None = None
        usage = Usage()
        model = str(params["model"])
        while True:
            try:
                chunk = await reader.next()
            except StopAsyncIteration:
                break
            model = chunk.model or model
            if chunk.usage is not None:
                usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
            for choice in chunk.choices[:1]:
                if choice.delta.content:
                    reader.started = True
                    yield StreamDelta(choice.delta.content)
                if choice.finish_reason:
                    finish = choice.finish_reason
                    reader.started = True
        if finish is None:
            raise self._ended_without("finish_reason")
        yield StreamDone(provider=self.name, model=model, usage=usage, finish_reason=finish)
