"""In-memory test doubles of the ``LLMProvider`` port (unit tests: no network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from service.domain.errors import ProviderError
from service.domain.types import (
    ChatRequest,
    Completion,
    StreamDelta,
    StreamDone,
    StreamEvent,
    Usage,
)

__all__ = ["EchoProvider"]


class EchoProvider:
    """Answers ``echo: <last message>`` in two-word stream chunks.

    ``failures`` makes the next N calls raise a retryable ``ProviderError``;
    ``fail_after_first`` makes streams fail after their first delta.
    """

    def __init__(
        self, name: str = "echo", *, models: tuple[str, ...] = ("m1",), failures: int = 0
    ) -> None:
        self._name = name
        self.models = models
        self.failures = failures
        self.fail_after_first = False
        self.calls = 0
        self.closed = False

    @property
    def name(self) -> str:
        return self._name

    def serves(self, model: str) -> bool:
        return model in self.models

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            raise ProviderError(
                "scripted outage", provider=self._name, kind="server", retryable=True, status=500
            )

    def answer(self, request: ChatRequest) -> str:
        return f"echo: {request.messages[-1].content}"

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion:
        self._maybe_fail()
        await asyncio.sleep(0)
        text = self.answer(request)
        return Completion(
            text=text,
            provider=self._name,
            model=request.model,
            usage=Usage(input_tokens=len(request.messages), output_tokens=len(text.split())),
        )

    async def stream(
        self, request: ChatRequest, *, first_token_timeout: float, total_timeout: float
    ) -> AsyncIterator[StreamEvent]:
        self._maybe_fail()
        words = self.answer(request).split(" ")
        for index, word in enumerate(words):
            await asyncio.sleep(0)
            yield StreamDelta(text=word if index == 0 else f" {word}")
            if self.fail_after_first:
                raise ProviderError("cut", provider=self._name, kind="stream", retryable=True)
        yield StreamDone(
            provider=self._name,
            model=request.model,
            usage=Usage(input_tokens=len(request.messages), output_tokens=len(words)),
        )

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self.closed = True
