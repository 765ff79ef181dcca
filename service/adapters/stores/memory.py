"""An in-process conversation store for unit tests and the dev mode (``memory://``).

Same contract as the server-backed stores; nothing survives the process and nothing
is shared between replicas.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from service.adapters.stores._common import (
    RisingClock,
    clamp_limit,
    decode_cursor,
    new_conversation_id,
    page_of,
    parse_conversation_id,
)
from service.domain.errors import NotFound
from service.domain.types import Conversation, ConversationPage, Turn

__all__ = ["MemoryConversationStore"]


class MemoryConversationStore:
    """``ConversationStore`` in dictionaries. Never raises ``DependencyUnavailable``.

    Behaviour shared by every store (the contract tests hold it):

    - conversations are listed newest-updated first, ``limit`` clamped to ``1..100``,
      with an opaque ``next_cursor`` while more remain (``BadRequest`` on a bad cursor);
    - another user's conversation, or an id that is not a UUID, is simply not found;
    - ``append_turns`` raises ``NotFound`` when the conversation is missing or not the
      caller's, and bumps ``updated_at`` and ``turn_count``;
    - ``recent_turns`` returns the last turns in the order they were appended.
    """

    def __init__(self) -> None:
        self._clock = RisingClock()
        self._conversations: dict[str, Conversation] = {}
        self._turns: dict[str, list[Turn]] = {}

    def _owned(self, user_id: str, conversation_id: str) -> Conversation | None:
        parsed = parse_conversation_id(conversation_id)
        if parsed is None:
            return None
        conversation = self._conversations.get(str(parsed))
        if conversation is None or conversation.user_id != user_id:
            return None
        return conversation

    async def create_conversation(self, *, user_id: str, title: str = "") -> Conversation:
        """Create an empty conversation owned by ``user_id``."""
        now = self._clock.now()
        conversation = Conversation(
            id=new_conversation_id(), user_id=user_id, created_at=now, updated_at=now, title=title
        )
        self._conversations[conversation.id] = conversation
        self._turns[conversation.id] = []
        return conversation

    async def get_conversation(self, *, user_id: str, conversation_id: str) -> Conversation | None:
        """The conversation, or ``None`` when missing or owned by another user."""
        return self._owned(user_id, conversation_id)

    async def list_conversations(
        self, *, user_id: str, limit: int = 20, cursor: str | None = None
    ) -> ConversationPage:
        """One page of ``user_id``'s conversations, newest-updated first."""
        limit = clamp_limit(limit)
        mine = sorted(
            (c for c in self._conversations.values() if c.user_id == user_id),
            key=lambda c: (c.updated_at, c.id),
            reverse=True,
        )
        if cursor is not None:
            after = decode_cursor(cursor)
            mine = [c for c in mine if (c.updated_at, c.id) < after]
        return page_of(mine[: limit + 1], limit)

    async def append_turns(
        self, *, user_id: str, conversation_id: str, turns: Sequence[Turn]
    ) -> None:
        """Append ``turns`` in order; ``NotFound`` unless the caller owns the conversation."""
        conversation = self._owned(user_id, conversation_id)
        if conversation is None:
            raise NotFound("conversation not found")
        self._turns[conversation.id].extend(turns)
        self._conversations[conversation.id] = msgspec.structs.replace(
            conversation,
            updated_at=self._clock.now(),
            turn_count=conversation.turn_count + len(turns),
        )

    async def recent_turns(self, *, conversation_id: str, limit: int) -> list[Turn]:
        """The last ``limit`` turns, oldest first (empty when the conversation is unknown)."""
        parsed = parse_conversation_id(conversation_id)
        if parsed is None or limit <= 0:
            return []
        return list(self._turns.get(str(parsed), [])[-limit:])

    async def delete_conversation(self, *, user_id: str, conversation_id: str) -> bool:
        """Delete it with its turns; ``True`` when it existed and was the caller's."""
        conversation = self._owned(user_id, conversation_id)
        if conversation is None:
            return False
        del self._conversations[conversation.id]
        self._turns.pop(conversation.id, None)
        return True

    async def ping(self) -> bool:
        """Always ``True``."""
        return True

    async def aclose(self) -> None:
        """Nothing to release."""
