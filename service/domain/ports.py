"""Ports: what the domain needs from the outside world. Adapters implement them.

Whoever creates a client closes it: every port with resources has ``aclose()``.
Options are keyword-only after ``*``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from service.domain.types import (
    CachedTurns,
    ChatRequest,
    Completion,
    Conversation,
    ConversationPage,
    IdempotentReply,
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
        self,
        *,
        user_id: str,
        conversation_id: str,
        turns: Sequence[Turn],
        reply: IdempotentReply | None = None,
    ) -> int:
        """Append ``turns`` in one write and return the conversation's ``turn_count``
        after it. With ``reply``, its key is stored in the same write; when the user
        already stored that key, nothing is written and ``DuplicateRequest`` is raised.
        ``NotFound`` unless the caller owns the conversation."""
        ...

    async def find_reply(self, *, user_id: str, key: str) -> IdempotentReply | None:
        """The reply stored under ``user_id``'s idempotency ``key``, if any."""
        ...

    async def recent_turns(
        self, *, conversation_id: str, limit: int, upto: int | None = None
    ) -> list[Turn]:
        """The last ``limit`` turns, oldest first; with ``upto``, among the first
        ``upto`` turns only (the history as of ``turn_count == upto``)."""
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
    read them from the store every time. Entries carry the store's version (the
    conversation's ``turn_count``): a reader uses one only when it matches the store."""

    async def get_recent(self, conversation_id: str) -> CachedTurns | None:
        """The entry (or tombstone), ``None`` on a miss."""
        ...

    async def put_recent(
        self, conversation_id: str, turns: Sequence[Turn], *, version: int
    ) -> None:
        """Cache the last turns as of ``version``; ignored over a tombstone or an entry
        of the same or a newer version (a slow writer never moves it back)."""
        ...

    async def mark_deleted(self, conversation_id: str) -> None:
        """Replace the entry with a tombstone that no ``put_recent`` overwrites."""
        ...

    async def invalidate(self, conversation_id: str) -> None:
        """Drop the entry or tombstone."""
        ...

    async def aclose(self) -> None: ...
