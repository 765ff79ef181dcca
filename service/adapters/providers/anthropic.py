"""``LLMProvider`` over Anthropic's Messages API with the official ``anthropic`` SDK.

Client, timeouts and error mapping: see ``SDKProvider``. System messages become the
``system`` parameter. Stop reasons map to OpenAI's words (``end_turn`` and
``stop_sequence`` -> ``stop``, ``max_tokens`` -> ``length``). A stream that ends without
``message_stop`` (or a stop reason), or carries an ``error`` event, raises
``ProviderError(kind="stream")``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any, ClassVar

import anthropic
import httpx2

from service.adapters.providers._base import SDKProvider, StreamReader
from service.adapters.providers.errors import VENDOR_ERRORS
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

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


def _finish(stop_reason: str | None) -> str:
    return _FINISH.get(stop_reason or "end_turn", stop_reason or "stop")


class AnthropicProvider(SDKProvider[anthropic.AsyncAnthropic]):
    """One Anthropic upstream; see the module docstring. Owns its SDK client."""

    kind = "anthropic"
    sdk: ClassVar[Any] = anthropic
    client_class = anthropic.AsyncAnthropic
    errors: ClassVar[tuple[type[Exception], ...]] = (anthropic.AnthropicError, *VENDOR_ERRORS)

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

    async def _create(
        self, params: dict[str, Any], timeout: httpx2.Timeout, headers: Mapping[str, str]
    ) -> Any:
        return await self._client.messages.create(**params, timeout=timeout, extra_headers=headers)

    def _completion(self, answer: anthropic.types.Message, params: dict[str, Any]) -> Completion:
        text = "".join(
            block.text for block in answer.content if isinstance(block, anthropic.types.TextBlock)
        )
        return Completion(
            text=text,
            provider=self.name,
            model=answer.model or str(params["model"]),
            usage=Usage(answer.usage.input_tokens, answer.usage.output_tokens),
            finish_reason=_finish(answer.stop_reason),
        )

    async def _open_stream(
        self, params: dict[str, Any], timeout: httpx2.Timeout, headers: Mapping[str, str]
    ) -> Any:  # the SDK's AsyncStream
        return await self._client.messages.create(
            **params, stream=True, timeout=timeout, extra_headers=headers
        )

    async def _events(
        self, reader: StreamReader, params: dict[str, Any]
    ) -> AsyncGenerator[StreamEvent, None]:
        """``StreamDelta`` per text delta, then ``StreamDone`` after ``message_stop``."""
        stopped = False
        stop_reason: str | None = None
        model = str(params["model"])
        input_tokens = output_tokens = 0
        while not stopped:
            try:
                event = await reader.next()
            except StopAsyncIteration:
                break
            if event.type == "message_start":
                model = event.message.model or model
                input_tokens = event.message.usage.input_tokens
            elif event.type == "content_block_delta":
                if event.delta.type == "text_delta" and event.delta.text:
                    reader.started = True
                    yield StreamDelta(event.delta.text)
            elif event.type == "message_delta":
                stop_reason = event.delta.stop_reason or stop_reason
                output_tokens = event.usage.output_tokens
                reader.started = True
            elif event.type == "message_stop":
                stopped = True
        if not stopped or stop_reason is None:
            raise self._ended_without("message_stop")
        yield StreamDone(
            provider=self.name,
            model=model,
            usage=Usage(input_tokens, output_tokens),
            finish_reason=_finish(stop_reason),
        )
