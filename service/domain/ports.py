"""Ports: what the domain needs from the outside world. Adapters implement them.

Whoever creates a client closes it: every port with resources has ``aclose()``.
Options are keyword-only after ``*``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from service.domain.types import (
    ChatRequest,
    Completion,
    Conversation,
    ConversationPage,
    RateLimitDecision,
    RateLimitTier,
    StreamEvent,
    Turn,
)

__all__ = [
    "Clock",
    "ConversationStore",
    "LLMProvider",
    "RateLimiter",
    "ResponseCache",
    "TurnCache",
]


class Clock(Protocol):
    """Injected time, so resilience logic is tested without sleeping."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


@runtime_checkable
class LLMProvider(Protocol):
    """One upstream LLM vendor endpoint. Raises ``ProviderError`` for every failure.

    A single call is one attempt: retries, breakers and failover live in
    ``service.resilience``, never in the adapter (the SDKs run with ``max_retries=0``).
    """

    @property
    def name(self) -> str: ...

    def serves(self, model: str) -> bool:
        """Whether this provider maps the public ``model`` name to one of its own."""
        ...

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion: ...

    def stream(
        self, request: ChatRequest, *, first_token_timeout: float, total_timeout: float
    ) -> AsyncIterator[StreamEvent]:
        """Yields ``StreamDelta`` events then one ``StreamDone``."""
        ...

    async def ping(self) -> bool:
        """Cheap readiness probe (e.g. list models). Never raises."""
        ...

    async def aclose(self) -> None: ...


class ConversationStore(Protocol):
    """Durable conversations and their turns. Raises ``DependencyUnavailable`` when the
    backing server cannot be reached."""

    async def create_conversation(self, *, user_id: str, title: str = "") -> Conversation: ...

    async def get_conversation(self, *, user_id: str, conversation_id: str) -> Conversation | None:
        """``None`` when missing or owned by another user (never reveal which)."""
        ...

    async def list_conversations(
        self, *, user_id: str, limit: int = 20, cursor: str | None = None
    ) -> ConversationPage: ...

    async def append_turns(
        self, *, user_id: str, conversation_id: str, turns: Sequence[Turn]
    ) -> None: ...

    async def recent_turns(self, *, conversation_id: str, limit: int) -> list[Turn]:
        """The last ``limit`` turns, oldest first."""
        ...

    async def delete_conversation(self, *, user_id: str, conversation_id: str) -> bool:
        """``True`` when it existed and belonged to ``user_id``."""
        ...

    async def ping(self) -> bool: ...

    async def aclose(self) -> None: ...


class RateLimiter(Protocol):
    async def hit(self, key: str, *, tier: RateLimitTier) -> RateLimitDecision:
        """Count one request for ``key``; raises ``DependencyUnavailable`` on backend failure."""
        ...

    async def ping(self) -> bool: ...

    async def aclose(self) -> None: ...


class ResponseCache(Protocol):
    """Answers to deterministic requests, keyed by a hash of the request."""

    async def get(self, request: ChatRequest) -> Completion | None: ...

    async def put(self, request: ChatRequest, completion: Completion) -> None: ...

    async def aclose(self) -> None: ...


class TurnCache(Protocol):
    """Recent turns of a conversation (the seed's sessions), so a chat turn does not
    read the store every time."""

    async def get_recent(self, conversation_id: str) -> list[Turn] | None: ...

    async def put_recent(self, conversation_id: str, turns: Sequence[Turn]) -> None: ...

    async def invalidate(self, conversation_id: str) -> None: ...

    async def aclose(self) -> None: ...
