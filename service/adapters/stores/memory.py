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
from service.domain.errors import DuplicateRequest, NotFound
from service.domain.types import Conversation, ConversationPage, IdempotentReply, Turn

__all__ = ["MemoryConversationStore"]


class MemoryConversationStore:
    """``ConversationStore`` in dictionaries. Never raises ``DependencyUnavailable``.

    Behaviour shared by every store (the contract tests hold it):

    - conversations are listed newest-updated first, ``limit`` clamped to ``1..100``,
      with an opaque ``next_cursor`` while more remain (``BadRequest`` on a bad cursor);
    - another user's conversation, or an id that is not a UUID, is simply not found;
    - ``append_turns`` raises ``NotFound`` when the conversation is missing or not the
      caller's, bumps ``updated_at`` and ``turn_count`` and returns the new count; an
      idempotency key given with it is stored in the same write (``DuplicateRequest``,
      nothing written, when the user already stored it) and goes with the conversation;
    - ``recent_turns`` returns the last turns in the order they were appended, among
      the first ``upto`` when given.
    """

    def __init__(self) -> None:
        self._clock = RisingClock()
        self._conversations: dict[str, Conversation] = {}
        self._turns: dict[str, list[Turn]] = {}
        self._replies: dict[tuple[str, str], IdempotentReply] = {}

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
        self,
        *,
        user_id: str,
        conversation_id: str,
        turns: Sequence[Turn],
        reply: IdempotentReply | None = None,
    ) -> int:
        """Append ``turns`` in order and return the new ``turn_count``; ``NotFound``
        unless the caller owns the conversation; ``DuplicateRequest`` for a stored key."""
        conversation = self._owned(user_id, conversation_id)
        if conversation is None:
            raise NotFound("conversation not found")
        if reply is not None:
            if (user_id, reply.key) in self._replies:
                raise DuplicateRequest("idempotency key already stored")
            self._replies[user_id, reply.key] = reply
        self._turns[conversation.id].extend(turns)
        count = conversation.turn_count + len(turns)
        self._conversations[conversation.id] = msgspec.structs.replace(
            conversation, updated_at=self._clock.now(), turn_count=count
        )
        return count

    async def find_reply(self, *, user_id: str, key: str) -> IdempotentReply | None:
        """The reply stored under ``user_id``'s ``key``, if any."""
        return self._replies.get((user_id, key))

    async def recent_turns(
        self, *, conversation_id: str, limit: int, upto: int | None = None
    ) -> list[Turn]:
        """The last ``limit`` turns, oldest first, among the first ``upto`` when given
        (empty when the conversation is unknown)."""
        parsed = parse_conversation_id(conversation_id)
        if parsed is None or limit <= 0:
            return []
        turns = self._turns.get(str(parsed), [])
        if upto is not None:
            turns = turns[: max(0, upto)]
        return list(turns[-limit:])

    async def delete_conversation(self, *, user_id: str, conversation_id: str) -> bool:
        """Delete it with its turns; ``True`` when it existed and was the caller's."""
        conversation = self._owned(user_id, conversation_id)
        if conversation is None:
            return False
        del self._conversations[conversation.id]
        self._turns.pop(conversation.id, None)
        gone = [k for k, r in self._replies.items() if r.conversation_id == conversation.id]
        for key in gone:
            del self._replies[key]
        return True

    async def ping(self) -> bool:
        """Always ``True``."""
        return True

    async def aclose(self) -> None:
        """Nothing to release."""
