"""Request and response bodies of the service's own endpoints (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from service.domain.chat import ConversationDetail
from service.domain.types import Conversation, ConversationPage, Turn, Usage

__all__ = [
    "ChatDone",
    "ChatIn",
    "ChatOut",
    "ConversationDetailOut",
    "ConversationOut",
    "ConversationPageOut",
    "DependencyOut",
    "HealthOut",
    "ReadyOut",
    "Temperature",
    "TurnOut",
    "UsageOut",
]

MAX_TEMPERATURE = 2.0
Temperature = Annotated[
    float,
    msgspec.Meta(
        ge=0.0,
        le=MAX_TEMPERATURE,
        # Litestar skips falsy constraints (ge=0) when it builds OpenAPI; say it again.
        extra_json_schema={"extra": {"minimum": 0.0, "maximum": MAX_TEMPERATURE}},
    ),
]
"""Sampling temperature, 0..2 (both ends allowed), as the providers accept it."""


class ChatIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One chat turn. Without ``conversation_id`` a new conversation starts."""

    message: str
    conversation_id: str | None = None
    model: str | None = None
    stream: bool = False
    temperature: Temperature | None = None
    max_tokens: Annotated[int, msgspec.Meta(ge=1)] | None = None


class UsageOut(msgspec.Struct, frozen=True, kw_only=True):
    input_tokens: int
    output_tokens: int

    @classmethod
    def of(cls, usage: Usage) -> UsageOut:
        return cls(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens)


class ChatOut(msgspec.Struct, frozen=True, kw_only=True):
    conversation_id: str
    message: str
    provider: str
    model: str
    cached: bool
    usage: UsageOut


class ChatDone(msgspec.Struct, frozen=True, kw_only=True):
    """The final SSE event of a streamed chat: the same metadata as ``ChatOut``."""

    conversation_id: str
    provider: str
    model: str
    cached: bool
    usage: UsageOut
    finish_reason: str


class ConversationOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    turn_count: int

    @classmethod
    def of(cls, c: Conversation) -> ConversationOut:
        return cls(
            id=c.id,
            title=c.title,
            created_at=c.created_at,
            updated_at=c.updated_at,
            turn_count=c.turn_count,
        )


class ConversationPageOut(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ConversationOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: ConversationPage) -> ConversationPageOut:
        return cls(items=[ConversationOut.of(c) for c in page.items], next_cursor=page.next_cursor)


class TurnOut(msgspec.Struct, frozen=True, kw_only=True):
    role: str
    content: str
    created_at: datetime
    provider: str | None
    model: str | None

    @classmethod
    def of(cls, t: Turn) -> TurnOut:
        return cls(
            role=str(t.role),
            content=t.content,
            created_at=t.created_at,
            provider=t.provider,
            model=t.model,
        )


class ConversationDetailOut(msgspec.Struct, frozen=True, kw_only=True):
    conversation: ConversationOut
    turns: list[TurnOut]

    @classmethod
    def of(cls, detail: ConversationDetail) -> ConversationDetailOut:
        return cls(
            conversation=ConversationOut.of(detail.conversation),
            turns=[TurnOut.of(t) for t in detail.turns],
        )


class HealthOut(msgspec.Struct, frozen=True):
    status: str


class DependencyOut(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    required: bool


class ReadyOut(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    """``ready`` | ``not_ready`` | ``draining``."""
    dependencies: dict[str, DependencyOut]
