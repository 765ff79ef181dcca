"""Storing a chat turn: both turns in one store write, then the turn cache in step.

The write carries the request's idempotency key when it has one, so the key is stored
exactly when the turns are. A write that raised may still have committed (the store
failed after ``COMMIT`` reached it, or while its answer travelled back): that outcome is
*unknown*, and it is said so: counted as ``chat_unpersisted_turns_total{reason=
"outcome_unknown"}`` and, under fail-closed, raised as ``PersistOutcomeUnknown`` (a 503
whose detail and stream ``error`` event say the turns may be stored and that a retry
with the same ``Idempotency-Key`` is safe).
"""

from __future__ import annotations

from datetime import datetime

from service.domain.config import ChatConfig
from service.domain.context import ContextLoader
from service.domain.errors import DependencyUnavailable, PersistOutcomeUnknown
from service.domain.policy import ChatObserver, FailurePolicy
from service.domain.ports import ConversationStore
from service.domain.prepared import PreparedChat
from service.domain.types import Completion, IdempotentReply, Role, Turn

__all__ = ["OUTCOME_UNKNOWN_DETAIL", "TurnWriter"]

OUTCOME_UNKNOWN_DETAIL = (
    "the answer was produced but storing the turns failed in a way that may have "
    "committed: the outcome is unknown. Retry with the same Idempotency-Key to get the "
    "stored reply if it was stored, or a fresh answer (stored once) if it was not"
)


class TurnWriter:
    """Writes a prepared turn's two turns and refreshes the turn cache after them."""

    def __init__(
        self,
        *,
        store: ConversationStore,
        context: ContextLoader,
        config: ChatConfig,
        observer: ChatObserver,
    ) -> None:
        self.store = store
        self._context = context
        self._config = config
        self._observer = observer

    async def persist(
        self, prepared: PreparedChat, completion: Completion, *, at: datetime
    ) -> None:
        """Store the user turn and ``completion`` as the assistant's. Raises
        ``DuplicateRequest`` when the idempotency key won a race elsewhere, and
        ``PersistOutcomeUnknown`` (fail-closed) when the write failed."""
        assistant = Turn(
            role=Role.ASSISTANT,
            content=completion.text,
            created_at=at,
            provider=completion.provider,
            model=completion.model,
        )
        turns = (prepared.user_turn, assistant)
        if not prepared.persist:
            self._observer.turns_unpersisted(len(turns), "store_unavailable")
            return
        reply = None
        if prepared.idempotency is not None:
            key, fingerprint = prepared.idempotency
            reply = IdempotentReply(
                key=key,
                fingerprint=fingerprint,
                conversation_id=prepared.conversation_id,
                completion=completion,
            )
        try:
            count = await self.store.append_turns(
                user_id=prepared.user_id,
                conversation_id=prepared.conversation_id,
                turns=turns,
                reply=reply,
            )
        except DependencyUnavailable as exc:
            self._observer.dependency_failure("store", self._config.store_policy)
            self._observer.turns_unpersisted(len(turns), "outcome_unknown")
            if self._config.store_policy is FailurePolicy.FAIL_CLOSED:
                raise PersistOutcomeUnknown(
                    OUTCOME_UNKNOWN_DETAIL, dependency=exc.dependency
                ) from exc
            return
        version = prepared.history.version
        if self._context.caching and version is not None and count == version + len(turns):
            # Nobody appended between our read and our write: history + turns is exactly
            # what the store holds at ``count``. Otherwise the next reader refills.
            await self._context.remember(
                prepared.cache_key, (*prepared.history.turns, *turns), version=count
            )
