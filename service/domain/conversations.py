"""The caller's conversations: list, read, delete.

A delete first leaves a tombstone in the turn cache, then deletes in the store. The
tombstone is what a fail-open turn honours when the store does not answer, and no
reader refilling the cache can overwrite it. When the tombstone cannot be written
(Redis slow or down) the cached turns may outlive the conversation:

- store policy fail-closed: harmless (no turn is ever answered without the store, and
  the store no longer has the conversation): the delete goes on and the failure is counted;
- store policy fail-open (or cache policy fail-closed): the delete answers 503 and
  deletes nothing, so the client knows to retry it, rather than a 204 after which a
  store outage could send the deleted text upstream.
"""

from __future__ import annotations

from service.domain.config import ChatConfig
from service.domain.errors import DependencyUnavailable, NotFound
from service.domain.guards import turn_key
from service.domain.policy import ChatObserver, FailurePolicy
from service.domain.ports import ConversationStore, TurnCache
from service.domain.prepared import ConversationDetail
from service.domain.types import ConversationPage, User

__all__ = ["Conversations"]

PURGE_FAILED_DETAIL = (
    "the conversation was not deleted: its cached turns could not be purged (Redis did "
    "not answer); retry the delete"
)


class Conversations:
    """Conversation reads and deletes for one caller at a time."""

    def __init__(
        self,
        *,
        store: ConversationStore,
        turn_cache: TurnCache | None,
        config: ChatConfig,
        observer: ChatObserver,
    ) -> None:
        self.store = store
        self.turn_cache = turn_cache
        self._config = config
        self._observer = observer

    async def list(self, user: User, *, limit: int, cursor: str | None) -> ConversationPage:
        """The caller's conversations, newest first."""
        return await self.store.list_conversations(user_id=user.id, limit=limit, cursor=cursor)

    async def get(self, user: User, conversation_id: str) -> ConversationDetail:
        """One of the caller's conversations with its turns; ``NotFound`` else."""
        conversation = await self.store.get_conversation(
            user_id=user.id, conversation_id=conversation_id
        )
        if conversation is None:
            raise NotFound("conversation not found")
        turns = await self.store.recent_turns(
            conversation_id=conversation_id, limit=max(conversation.turn_count, 1)
        )
        return ConversationDetail(conversation=conversation, turns=tuple(turns))

    async def delete(self, user: User, conversation_id: str) -> None:
        """Delete one of the caller's conversations; ``NotFound`` when it is not theirs;
        ``DependencyUnavailable`` (nothing deleted) when the purge must succeed and failed."""
        if self.turn_cache is not None:
            try:
                await self.turn_cache.mark_deleted(turn_key(user.id, conversation_id))
            except DependencyUnavailable as exc:
                self._observer.dependency_failure("turn_cache", self._config.cache_policy)
                if self._purge_required:
                    raise DependencyUnavailable(
                        PURGE_FAILED_DETAIL, dependency=exc.dependency
                    ) from exc
        deleted = await self.store.delete_conversation(
            user_id=user.id, conversation_id=conversation_id
        )
        if not deleted:
            raise NotFound("conversation not found")

    @property
    def _purge_required(self) -> bool:
        """Whether cached turns could ever be used without the store's say-so."""
        c = self._config
        return (
            c.store_policy is FailurePolicy.FAIL_OPEN or c.cache_policy is FailurePolicy.FAIL_CLOSED
        )
