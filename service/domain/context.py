"""A chat turn's context: the conversation's recent turns, from the turn cache or the store.

The store decides first: when it answers, a missing or someone else's conversation is
``NotFound`` before any provider call, and its ``turn_count`` is the version a cached
entry must carry to be used (a stale entry costs one store read, never a wrong context).
The cache lookup travels concurrently with that store read, so a hit costs one primary
key lookup in the store (about as much as the turns query it saves on a warm table,
but it is the existence check the store owes the request anyway) and no added latency.

When the store does not answer and its policy is fail-open, a cached entry is the only
context there is: it is used unless the cache holds a tombstone for the conversation
(then ``NotFound``: a deleted conversation is never sent upstream), and without either
the turn goes out with no context.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import msgspec

from service.domain.config import ChatConfig
from service.domain.errors import DependencyUnavailable, NotFound
from service.domain.guards import UNAVAILABLE, Guards, Unavailable, discard, turn_key
from service.domain.policy import ChatObserver
from service.domain.ports import ConversationStore, TurnCache
from service.domain.types import CachedTurns, Turn

__all__ = ["ContextLoader", "History"]


class History(msgspec.Struct, frozen=True, kw_only=True):
    """The turns sent as context, and the store version they are (``None``: unknown,
    the store did not answer)."""

    turns: tuple[Turn, ...] = ()
    version: int | None = None


class ContextLoader:
    """Loads recent turns (store-checked) and keeps the turn cache in step with the store."""

    def __init__(
        self,
        *,
        store: ConversationStore,
        turn_cache: TurnCache | None,
        config: ChatConfig,
        guards: Guards,
        observer: ChatObserver,
    ) -> None:
        self.store = store
        self.turn_cache = turn_cache
        self._config = config
        self._guards = guards
        self._observer = observer

    @property
    def caching(self) -> bool:
        """Whether turns are cached at all."""
        return self.turn_cache is not None and self._config.context_turns > 0

    async def load(self, user_id: str, conversation_id: str) -> History:
        """The context of a turn in an existing conversation; ``NotFound`` when the
        store (or, with the store down under fail-open, a tombstone) says it is gone."""
        key = turn_key(user_id, conversation_id)
        lookup = asyncio.ensure_future(self._lookup(key)) if self.caching else None
        try:
            conversation = await self._guards.store(
                self.store.get_conversation(user_id=user_id, conversation_id=conversation_id),
                UNAVAILABLE,
            )
        except BaseException:
            if lookup is not None:
                lookup.add_done_callback(discard)
            raise
        cached = None if lookup is None else await lookup
        if conversation is None:
            raise NotFound("conversation not found")
        limit = self._config.context_turns
        if isinstance(conversation, Unavailable):
            if cached is not None and cached.deleted:
                raise NotFound("conversation not found")
            self._looked_up(cached)
            return History(turns=() if cached is None else cached.turns[-limit:])
        version = conversation.turn_count
        if limit == 0:
            return History(version=version)
        if cached is not None and not cached.deleted and cached.version == version:
            self._looked_up(cached)
            return History(turns=cached.turns[-limit:], version=version)
        self._looked_up(None)
        turns = await self._guards.store(
            self.store.recent_turns(conversation_id=conversation_id, limit=limit, upto=version),
            None,
        )
        if turns is None:
            return History()
        if self.caching and not (cached is not None and cached.deleted):
            await self.remember(key, turns, version=version)
        return History(turns=tuple(turns), version=version)

    async def _lookup(self, key: str) -> CachedTurns | None:
        assert self.turn_cache is not None
        return await self._guards.cache("turn_cache", self.turn_cache.get_recent(key), None)

    def _looked_up(self, cached: CachedTurns | None) -> None:
        if self.caching:
            self._observer.cache_lookup("turns", "miss" if cached is None else "hit")

    async def remember(self, key: str, turns: Sequence[Turn], *, version: int) -> None:
        """Cache turns the store holds as of ``version``. Never raises, whatever the
        cache policy: the turn is answerable without it (and after a store write,
        failing would answer an error for a turn that is stored). A failure is counted."""
        if self.turn_cache is None:
            return
        try:
            await self.turn_cache.put_recent(
                key, turns[-self._config.context_turns :], version=version
            )
        except DependencyUnavailable:
            self._observer.dependency_failure("turn_cache", self._config.cache_policy)
