"""Chat orchestration: what the API calls, composed of one small piece per concern.

A chat turn is validated (:mod:`~service.domain.requests`), its conversation found or
created and its context loaded, store-checked, from the turn cache or the store
(:mod:`~service.domain.context`), answered from the response cache or the providers
(:mod:`~service.domain.answers`), then both turns are stored with the request's
idempotency key (:mod:`~service.domain.persistence`). Conversation reads and deletes
are :mod:`~service.domain.conversations`. Each dependency failure is handled by its
``FailurePolicy``; a turn that could not be stored is an error (fail-closed) or
reported as unpersisted (fail-open), never dropped silently.

An ``Idempotency-Key`` makes a retry safe: the reply is stored with the turns (in the
store, so it holds across replicas and restarts); the same key with the same body gets
that reply again without a provider call or new turns; with another body it is a
``BadRequest`` (422).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime

from service.domain.admission import PendingAdmission
from service.domain.answers import Answer, Answerer, ChatBackend, completion_of, replay_events
from service.domain.config import ChatConfig
from service.domain.context import ContextLoader, History
from service.domain.conversations import Conversations
from service.domain.errors import (
    DependencyUnavailable,
    DuplicateRequest,
    PersistOutcomeUnknown,
)
from service.domain.guards import Guards
from service.domain.idempotency import Idempotency, checked_key, fingerprint
from service.domain.persistence import TurnWriter
from service.domain.policy import ChatObserver, NoopChatObserver
from service.domain.ports import ConversationStore, ResponseCache, TurnCache
from service.domain.prepared import ChatReply, ConversationDetail, PreparedChat
from service.domain.requests import RequestRules
from service.domain.types import (
    ChatRequest,
    Completion,
    ConversationPage,
    Message,
    Role,
    StreamDelta,
    StreamEvent,
    Turn,
    User,
)

__all__ = [
    "Answer",
    "ChatBackend",
    "ChatConfig",
    "ChatReply",
    "ChatService",
    "ConversationDetail",
    "PreparedChat",
]

_TITLE_CHARS = 60


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ChatService:
    """The chat use cases; one instance per app, shared by all requests."""

    def __init__(
        self,
        *,
        backend: ChatBackend,
        store: ConversationStore,
        config: ChatConfig,
        turn_cache: TurnCache | None = None,
        response_cache: ResponseCache | None = None,
        observer: ChatObserver | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.config = config
        self.store = store
        self.observer: ChatObserver = observer or NoopChatObserver()
        self._now = now
        guards = Guards(config=config, observer=self.observer)
        self._guards = guards
        self.rules = RequestRules(config)
        self.build_request = self.rules.build_request
        """A validated ``ChatRequest``; raises ``BadRequest`` naming the bad field."""
        self.check_text = self.rules.check_text
        """``BadRequest`` when a text is empty, too long or holds NUL."""
        self.answers = Answerer(
            backend=backend, response_cache=response_cache, guards=guards, observer=self.observer
        )
        self.context = ContextLoader(
            store=store, turn_cache=turn_cache, config=config, guards=guards, observer=self.observer
        )
        self.writer = TurnWriter(
            store=store, context=self.context, config=config, observer=self.observer
        )
        self.idempotency = Idempotency(store=store, guards=guards)
        self.conversations = Conversations(
            store=store, turn_cache=turn_cache, config=config, observer=self.observer
        )

    # -- stateless completions (the OpenAI-compatible endpoint) ------------------------

    async def complete(
        self, request: ChatRequest, *, admission: PendingAdmission | None = None
    ) -> Answer:
        """Answer ``request``; see :meth:`Answerer.complete`."""
        return await self.answers.complete(request, admission=admission)

    def stream(
        self, request: ChatRequest, *, admission: PendingAdmission | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Stream the answer to ``request``; see :meth:`Answerer.stream`."""
        return self.answers.stream(request, admission=admission)

    # -- conversational chat ---------------------------------------------------------

    async def prepare(
        self,
        user: User,
        *,
        message: str,
        conversation_id: str | None = None,
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        idempotency_key: str | None = None,
        stream: bool = False,
    ) -> PreparedChat:
        """Validate the turn, find or create its conversation and load its context.

        The turn is validated (text, model, max_tokens, key) before any store call, so a
        bad request creates nothing. Raises ``BadRequest`` (also for a key reused with
        another body), ``NotFound`` (missing or another user's conversation) or, under
        fail-closed, ``DependencyUnavailable``.
        """

        def build(messages: Sequence[Message]) -> ChatRequest:
            return self.rules.build_request(
                messages,
                model=model,
                temperature=temperature,
                max_tokens=max_tokens,
                field="message",
            )

        alone = build([Message(role=Role.USER, content=message)])
        user_turn = Turn(role=Role.USER, content=message, created_at=self._now())
        idempotency = None
        if idempotency_key is not None:
            body = (message, conversation_id, model, temperature, max_tokens, stream)
            idempotency = (checked_key(idempotency_key), fingerprint(body))
            stored = await self.idempotency.stored(user.id, *idempotency)
            if stored is not None:
                return PreparedChat(
                    user_id=user.id,
                    conversation_id=stored.conversation_id,
                    request=alone,
                    user_turn=user_turn,
                    history=History(),
                    persist=False,
                    idempotency=idempotency,
                    replay=stored,
                )
        persist, created = True, False
        history = History(version=0)
        if conversation_id is None:
            conversation = await self._guards.store(
                self.store.create_conversation(
                    user_id=user.id, title=message.strip()[:_TITLE_CHARS]
                ),
                None,
            )
            if conversation is None:
                persist, conversation_id, history = False, uuid.uuid4().hex, History()
            else:
                conversation_id, created = conversation.id, True
        else:
            history = await self.context.load(user.id, conversation_id)
        messages = [Message(role=t.role, content=t.content) for t in history.turns]
        messages.append(Message(role=Role.USER, content=message))
        request = build(messages[-max(1, self.config.max_turns) :])
        return PreparedChat(
            user_id=user.id,
            conversation_id=conversation_id,
            request=request,
            user_turn=user_turn,
            history=history,
            persist=persist,
            created=created,
            idempotency=idempotency,
        )

    async def chat(self, prepared: PreparedChat) -> ChatReply:
        """Answer a prepared turn and store both turns (or replay a stored reply).

        When the turn fails (no provider, store down under fail-closed), a conversation
        created for it is deleted again, unless the store may hold its turns.
        """
        if prepared.replay is not None:
            return _reply(prepared.replay.conversation_id, prepared.replay.completion)
        try:
            answer = await self.answers.complete(prepared.request)
            await self.writer.persist(prepared, answer.completion, at=self._now())
        except DuplicateRequest:
            await self._forget_created(prepared)
            assert prepared.idempotency is not None  # DuplicateRequest needs a key
            stored = await self.idempotency.winner(prepared.user_id, *prepared.idempotency)
            return _reply(stored.conversation_id, stored.completion)
        except PersistOutcomeUnknown:
            raise  # the conversation may hold the turns: keep it
        except BaseException:
            await self._forget_created(prepared)
            raise
        return ChatReply(
            conversation_id=prepared.conversation_id,
            completion=answer.completion,
            cached=answer.cached,
        )

    async def stream_chat(self, prepared: PreparedChat) -> AsyncIterator[StreamEvent]:
        """Stream the answer to a prepared turn, then store both turns.

        A stream abandoned by the client or interrupted upstream is not stored; its turns
        are reported as unpersisted. A conversation created for it is deleted again when
        the stream fails before its first event (the caller never learnt its id); after
        that the caller holds the id, so the conversation stays. A stored reply (same
        ``Idempotency-Key``) is replayed as one delta, then done.
        """
        if prepared.replay is not None:
            for event in replay_events(prepared.replay.completion, cached=False):
                yield event
            return
        parts: list[str] = []
        finished = announced = False
        try:
            async for event in self.answers.stream(prepared.request):
                announced = True
                if isinstance(event, StreamDelta):
                    parts.append(event.text)
                    yield event
                    continue
                finished = True
                try:
                    await self.writer.persist(prepared, completion_of(parts, event), at=self._now())
                except DuplicateRequest:  # a concurrent retry's turns were stored instead
                    self.observer.turns_unpersisted(2, "duplicate_request")
                yield event
        finally:
            if not finished:
                self.observer.turns_unpersisted(2, "stream_incomplete")
            if not announced:
                await self._forget_created(prepared)

    async def list_conversations(
        self, user: User, *, limit: int, cursor: str | None
    ) -> ConversationPage:
        """The caller's conversations, newest first."""
        return await self.conversations.list(user, limit=limit, cursor=cursor)

    async def get_conversation(self, user: User, conversation_id: str) -> ConversationDetail:
        """One of the caller's conversations with its turns; ``NotFound`` else."""
        return await self.conversations.get(user, conversation_id)

    async def delete_conversation(self, user: User, conversation_id: str) -> None:
        """Delete one of the caller's conversations; see :class:`Conversations`."""
        await self.conversations.delete(user, conversation_id)

    async def aclose(self, *, timeout: float = 2.0) -> None:
        """Wait (at most ``timeout`` seconds) for background cache writes to finish."""
        await self.answers.aclose(timeout=timeout)

    # -- helpers ---------------------------------------------------------------------

    async def _forget_created(self, prepared: PreparedChat) -> None:
        """Delete the conversation created for a turn that failed (best effort: a store
        failure here is counted, never raised over the turn's own error)."""
        if not prepared.created:
            return
        try:
            await self.store.delete_conversation(
                user_id=prepared.user_id, conversation_id=prepared.conversation_id
            )
        except DependencyUnavailable:
            self.observer.dependency_failure("store", self.config.store_policy)


def _reply(conversation_id: str, completion: Completion) -> ChatReply:
    return ChatReply(conversation_id=conversation_id, completion=completion, cached=False)
