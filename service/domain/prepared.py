"""A chat turn ready to be answered, and what the chat use cases return."""

from __future__ import annotations

import msgspec

from service.domain.context import History
from service.domain.guards import turn_key
from service.domain.types import ChatRequest, Completion, Conversation, IdempotentReply, Turn

__all__ = ["ChatReply", "ConversationDetail", "PreparedChat"]


class PreparedChat(msgspec.Struct, frozen=True, kw_only=True):
    """A chat turn ready to be answered: its conversation exists (or could not be
    created under fail-open, then ``persist`` is false) and its context is loaded."""

    user_id: str
    conversation_id: str
    request: ChatRequest
    user_turn: Turn
    history: History
    persist: bool
    created: bool = False
    """The conversation was created for this turn: it is deleted again when the turn
    fails, so a failed first turn leaves no empty conversation behind."""
    idempotency: tuple[str, str] | None = None
    """``(Idempotency-Key, fingerprint of the request)`` when the caller sent a key."""
    replay: IdempotentReply | None = None
    """The stored reply of an earlier request with the same key and body: answered
    again as it was, with no provider call and no new turns."""

    @property
    def cache_key(self) -> str:
        """The turn cache's key for this conversation."""
        return turn_key(self.user_id, self.conversation_id)


class ChatReply(msgspec.Struct, frozen=True, kw_only=True):
    conversation_id: str
    completion: Completion
    cached: bool


class ConversationDetail(msgspec.Struct, frozen=True, kw_only=True):
    conversation: Conversation
    turns: tuple[Turn, ...]
