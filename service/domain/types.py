"""Value types of the chat domain. Immutable msgspec Structs; no I/O here."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

__all__ = [
    "CachedTurns",
    "ChatRequest",
    "Completion",
    "Conversation",
    "ConversationPage",
    "IdempotentReply",
    "Message",
    "RateLimitDecision",
    "RateLimitTier",
    "Role",
    "StreamDelta",
    "StreamDone",
    "StreamEvent",
    "Turn",
    "Usage",
    "User",
]


class Role(enum.StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class Message(msgspec.Struct, frozen=True):
    """One message sent to a provider."""

    role: Role
    content: str


class Usage(msgspec.Struct, frozen=True):
    input_tokens: int = 0
    output_tokens: int = 0


class ChatRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What the domain asks of a provider. ``model`` is the service's public model name;
    each provider maps it to its own vendor model."""

    model: str
    messages: tuple[Message, ...]
    max_tokens: int = 512
    temperature: float = 1.0
    top_p: float | None = None
    stop: tuple[str, ...] = ()

    @property
    def deterministic(self) -> bool:
        """Temperature 0 requests may be answered from the response cache."""
        return self.temperature == 0.0


class Completion(msgspec.Struct, frozen=True, kw_only=True):
    """A whole answer from one provider."""

    text: str
    provider: str
    model: str
    usage: Usage = Usage()
    finish_reason: str = "stop"


class StreamDelta(msgspec.Struct, frozen=True, tag="delta"):
    """A piece of streamed text."""

    text: str


class StreamDone(msgspec.Struct, frozen=True, kw_only=True, tag="done"):
    """The last event of a successful stream."""

    provider: str
    model: str
    usage: Usage = Usage()
    finish_reason: str = "stop"
    cached: bool = False
    """Set by the chat service when the answer came from the response cache."""


StreamEvent = StreamDelta | StreamDone


class Turn(msgspec.Struct, frozen=True, kw_only=True):
    """One stored turn of a conversation."""

    role: Role
    content: str
    created_at: datetime
    provider: str | None = None
    model: str | None = None


class Conversation(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    user_id: str
    created_at: datetime
    updated_at: datetime
    title: str = ""
    turn_count: int = 0


class CachedTurns(msgspec.Struct, frozen=True, kw_only=True):
    """What the turn cache holds for a conversation: its last turns as of the store's
    ``version`` (the conversation's ``turn_count`` when they were read), or a tombstone
    (``deleted``) left by a delete, which no later write overwrites."""

    version: int = 0
    turns: tuple[Turn, ...] = ()
    deleted: bool = False


class IdempotentReply(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to a ``POST /v1/chat`` sent with an ``Idempotency-Key``, stored with its
    conversation in the same write as its turns: a retry with the same key and the same
    body (``fingerprint``) gets it back instead of a second pair of turns."""

    key: str
    fingerprint: str
    conversation_id: str
    completion: Completion


class ConversationPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a user's conversations, newest first. ``next_cursor`` is opaque."""

    items: tuple[Conversation, ...]
    next_cursor: str | None = None


class RateLimitTier(msgspec.Struct, frozen=True, kw_only=True):
    """A named limit: ``requests`` per ``period_seconds``."""

    name: str
    requests: int
    period_seconds: int


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    tier: RateLimitTier


class RateLimitDecision(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    limit: int
    remaining: int
    reset_after: float
    """Seconds until the window has fully recovered."""
    retry_after: float = 0.0
    """Seconds to wait before the next request can pass (0 when allowed)."""
