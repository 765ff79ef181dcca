"""Chat orchestration: context, response cache, providers, persistence.

``ChatService`` is what the API calls. A chat turn loads the conversation's recent turns
(turn cache first, the store on a miss), builds a ``ChatRequest``, answers deterministic
requests from the response cache, otherwise asks the ``ChatBackend`` (the resilient
provider router), then stores the user and assistant turns. Each dependency failure is
handled by its ``FailurePolicy`` (response-cache writes happen in the background and
never fail a request); a turn that could not be stored is either an error
(fail-closed) or reported as unpersisted (fail-open), never dropped silently.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

import msgspec

from service.domain.admission import PendingAdmission
from service.domain.errors import (
    BadRequest,
    DependencyUnavailable,
    NotFound,
)
from service.domain.policy import ChatObserver, FailurePolicy, NoopChatObserver, guarded
from service.domain.ports import ConversationStore, ResponseCache, TurnCache
from service.domain.types import (
    ChatRequest,
    Completion,
    Conversation,
    ConversationPage,
    Message,
    Role,
    StreamDelta,
    StreamDone,
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

T = TypeVar("T")
F = TypeVar("F")


class ChatBackend(Protocol):
    """What answers a ``ChatRequest``: the provider router with its resilience."""

    async def complete(self, request: ChatRequest) -> Completion:
        """Raises ``AllProvidersFailed`` when no provider could answer."""
        ...

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """``StreamDelta`` events then one ``StreamDone``; fails over only before the
        first event, raises ``StreamInterrupted`` after it."""
        ...


class ChatConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Limits and policies of the chat domain (built from settings by the app)."""

    models: frozenset[str] | None
    """Public model names served; ``None`` accepts any name (providers pass it through)."""
    default_model: str
    max_message_chars: int = 16_000
    max_turns: int = 64
    context_turns: int = 20
    max_tokens: int = 4_096
    default_max_tokens: int = 512
    store_policy: FailurePolicy = FailurePolicy.FAIL_CLOSED
    cache_policy: FailurePolicy = FailurePolicy.FAIL_OPEN


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    completion: Completion
    cached: bool


class ChatReply(msgspec.Struct, frozen=True, kw_only=True):
    conversation_id: str
    completion: Completion
    cached: bool


class PreparedChat(msgspec.Struct, frozen=True, kw_only=True):
    """A chat turn ready to be answered: its conversation exists (or could not be
    created under fail-open, then ``persist`` is false) and its context is loaded."""

    user_id: str
    conversation_id: str
    request: ChatRequest
    user_turn: Turn
    history: tuple[Turn, ...]
    persist: bool
    created: bool = False
    """The conversation was created for this turn: it is deleted again when the turn
    fails, so a failed first turn leaves no empty conversation behind."""


class ConversationDetail(msgspec.Struct, frozen=True, kw_only=True):
    conversation: Conversation
    turns: tuple[Turn, ...]


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
        self.backend = backend
        self.store = store
        self.config = config
        self.turn_cache = turn_cache
        self.response_cache = response_cache
        self.observer: ChatObserver = observer or NoopChatObserver()
        self._now = now
        self._writes: set[asyncio.Task[None]] = set()

    # -- validation ------------------------------------------------------------------

    def build_request(
        self,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        top_p: float | None = None,
        stop: Sequence[str] = (),
        field: str = "messages",
    ) -> ChatRequest:
        """A validated ``ChatRequest``; raises ``BadRequest`` naming the bad field."""
        c = self.config
        name = model or c.default_model
        if c.models is not None and name not in c.models:
            known = ", ".join(sorted(c.models)) or "none configured"
            raise BadRequest(f"unknown model {name!r} (known: {known})", field="model")
        if not messages:
            raise BadRequest("must hold at least one message", field=field)
        if len(messages) > c.max_turns:
            raise BadRequest(f"too many turns: {len(messages)} > {c.max_turns}", field=field)
        for index, message in enumerate(messages):
            where = field if field == "message" else f"{field}[{index}].content"
            self.check_text(message.content, field=where)
        tokens = c.default_max_tokens if max_tokens is None else max_tokens
        if not 1 <= tokens <= c.max_tokens:
            raise BadRequest(f"must be between 1 and {c.max_tokens}", field="max_tokens")
        return ChatRequest(
            model=name,
            messages=tuple(messages),
            max_tokens=tokens,
            temperature=1.0 if temperature is None else temperature,
            top_p=top_p,
            stop=tuple(stop),
        )

    def check_text(self, text: str, *, field: str) -> None:
        """Raise ``BadRequest`` when ``text`` is empty, longer than the limit, or holds a
        NUL character (no text store accepts one: PostgreSQL refuses it in ``text``)."""
        if not text.strip():
            raise BadRequest("must not be empty", field=field)
        if "\x00" in text:
            raise BadRequest("must not contain NUL characters (\\u0000)", field=field)
        if len(text) > self.config.max_message_chars:
            raise BadRequest(f"longer than {self.config.max_message_chars} characters", field=field)

    # -- stateless completions (the OpenAI-compatible endpoint) -----------------------

    async def complete(
        self, request: ChatRequest, *, admission: PendingAdmission | None = None
    ) -> Answer:
        """Answer ``request``, from the response cache when it is deterministic.

        ``admission``: the caller's rate-limit admission, still to be decided; it is
        decided first (a refusal raises) and, when the cache is consulted, in the same
        Redis round trip as the lookup: both commands leave in one loop turn, which the
        Redis adapters send as one pipeline.
        """
        cached = await self._admit_and_lookup(request, admission)
        if cached is not None:
            self._report(cached, cached=True)
            return Answer(completion=cached, cached=True)
        completion = await self.backend.complete(request)
        self._report(completion, cached=False)
        self._cache_put_later(request, completion)
        return Answer(completion=completion, cached=False)

    async def stream(
        self, request: ChatRequest, *, admission: PendingAdmission | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Stream the answer to ``request``; a cache hit is one delta then done.

        Errors before the first event propagate from the first ``anext`` (so the caller
        can still answer with an HTTP error); ``StreamInterrupted`` after it.
        ``admission``: as for ``complete``.
        """
        cached = await self._admit_and_lookup(request, admission)
        if cached is not None:
            self._report(cached, cached=True)
            yield StreamDelta(text=cached.text)
            yield StreamDone(
                provider=cached.provider,
                model=cached.model,
                usage=cached.usage,
                finish_reason=cached.finish_reason,
                cached=True,
            )
            return
        parts: list[str] = []
        async for event in self.backend.stream(request):
            if isinstance(event, StreamDelta):
                parts.append(event.text)
            else:
                completion = _completion(parts, event)
                self._report(completion, cached=False)
                self._cache_put_later(request, completion)
            yield event

    def _report(self, completion: Completion, *, cached: bool) -> None:
        self.observer.chat_result(
            provider=completion.provider,
            model=completion.model,
            cached=cached,
            usage=completion.usage,
        )

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
    ) -> PreparedChat:
        """Validate the turn, find or create its conversation and load its context.

        The turn is validated (text, model, max_tokens) before any store call, so a bad
        request creates nothing. Raises ``BadRequest``, ``NotFound`` (missing or another
        user's conversation) or, under fail-closed, ``DependencyUnavailable``.
        """
        self.build_request(
            [Message(role=Role.USER, content=message)],
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            field="message",
        )
        persist = True
        created = False
        history: tuple[Turn, ...] = ()
        if conversation_id is None:
            conversation = await self._guard_store(
                self.store.create_conversation(
                    user_id=user.id, title=message.strip()[:_TITLE_CHARS]
                ),
                None,
            )
            if conversation is None:
                persist = False
                conversation_id = uuid.uuid4().hex
            else:
                conversation_id = conversation.id
                created = True
        else:
            history = await self._history(user.id, conversation_id)
        messages = [Message(role=t.role, content=t.content) for t in history]
        messages.append(Message(role=Role.USER, content=message))
        request = self.build_request(
            messages[-max(1, self.config.max_turns) :],
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            field="message",
        )
        user_turn = Turn(role=Role.USER, content=message, created_at=self._now())
        return PreparedChat(
            user_id=user.id,
            conversation_id=conversation_id,
            request=request,
            user_turn=user_turn,
            history=history,
            persist=persist,
            created=created,
        )

    async def chat(self, prepared: PreparedChat) -> ChatReply:
        """Answer a prepared turn and store both turns.

        When the turn fails (no provider, store down under fail-closed), a conversation
        created for it is deleted again.
        """
        try:
            answer = await self.complete(prepared.request)
            await self._persist(prepared, answer.completion.text, answer.completion)
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
        that the caller holds the id, so the conversation stays.
        """
        parts: list[str] = []
        finished = False
        announced = False
        try:
            async for event in self.stream(prepared.request):
                announced = True
                if isinstance(event, StreamDelta):
                    parts.append(event.text)
                    yield event
                    continue
                finished = True
                await self._persist(prepared, "".join(parts), event)
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
        return await self.store.list_conversations(user_id=user.id, limit=limit, cursor=cursor)

    async def get_conversation(self, user: User, conversation_id: str) -> ConversationDetail:
        """One of the caller's conversations with its recent turns; ``NotFound`` else."""
        conversation = await self.store.get_conversation(
            user_id=user.id, conversation_id=conversation_id
        )
        if conversation is None:
            raise NotFound("conversation not found")
        turns = await self.store.recent_turns(
            conversation_id=conversation_id, limit=max(conversation.turn_count, 1)
        )
        return ConversationDetail(conversation=conversation, turns=tuple(turns))

    async def delete_conversation(self, user: User, conversation_id: str) -> None:
        """Delete one of the caller's conversations; ``NotFound`` when it is not theirs."""
        deleted = await self.store.delete_conversation(
            user_id=user.id, conversation_id=conversation_id
        )
        if not deleted:
            raise NotFound("conversation not found")
        if self.turn_cache is not None:
            await self._guard_cache(
                "turn_cache", self.turn_cache.invalidate(_turn_key(user.id, conversation_id)), None
            )

    # -- helpers ---------------------------------------------------------------------

    async def _history(self, user_id: str, conversation_id: str) -> tuple[Turn, ...]:
        key = _turn_key(user_id, conversation_id)
        if self.turn_cache is not None and self.config.context_turns > 0:
            cached = await self._guard_cache("turn_cache", self.turn_cache.get_recent(key), None)
            self.observer.cache_lookup("turns", "miss" if cached is None else "hit")
            if cached is not None:
                return tuple(cached)
        conversation = await self._guard_store(
            self.store.get_conversation(user_id=user_id, conversation_id=conversation_id),
            _UNAVAILABLE,
        )
        if conversation is None:
            raise NotFound("conversation not found")
        if isinstance(conversation, _Unavailable) or self.config.context_turns == 0:
            return ()
        turns = await self._guard_store(
            self.store.recent_turns(
                conversation_id=conversation_id, limit=self.config.context_turns
            ),
            None,
        )
        if turns is None:
            return ()
        if self.turn_cache is not None:
            await self._guard_cache("turn_cache", self.turn_cache.put_recent(key, turns), None)
        return tuple(turns)

    async def _persist(
        self, prepared: PreparedChat, text: str, done: Completion | StreamDone
    ) -> None:
        assistant = Turn(
            role=Role.ASSISTANT,
            content=text,
            created_at=self._now(),
            provider=done.provider,
            model=done.model,
        )
        turns = (prepared.user_turn, assistant)
        if not prepared.persist:
            self.observer.turns_unpersisted(len(turns), "store_unavailable")
            return
        try:
            await self.store.append_turns(
                user_id=prepared.user_id,
                conversation_id=prepared.conversation_id,
                turns=turns,
            )
        except DependencyUnavailable:
            self.observer.dependency_failure("store", self.config.store_policy)
            if self.config.store_policy is FailurePolicy.FAIL_CLOSED:
                raise
            self.observer.turns_unpersisted(len(turns), "store_unavailable")
            return
        if self.turn_cache is not None and self.config.context_turns > 0:
            recent = (*prepared.history, *turns)[-self.config.context_turns :]
            await self._cache_stored_turns(
                self.turn_cache, _turn_key(prepared.user_id, prepared.conversation_id), recent
            )

    async def _cache_stored_turns(self, cache: TurnCache, key: str, recent: Sequence[Turn]) -> None:
        """Cache turns the store already holds. Never raises, whatever the cache policy:
        failing now would answer an error for a turn that is stored, and a client retry
        would store it twice. A failure is counted and logged (``dependency_failure``),
        and the possibly stale entry is dropped if Redis lets us."""
        try:
            await cache.put_recent(key, recent)
        except DependencyUnavailable:
            self.observer.dependency_failure("turn_cache", self.config.cache_policy)
            try:
                await cache.invalidate(key)
            except DependencyUnavailable:
                return

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

    async def _admit_and_lookup(
        self, request: ChatRequest, admission: PendingAdmission | None
    ) -> Completion | None:
        if admission is None:
            return await self._cache_get(request)
        if self.response_cache is None or not request.deterministic:
            await admission.resolve()
            return None
        # The lookup's task starts before the admission's command is sent, so both are
        # queued in the same loop turn; a refusal discards the lookup, uncounted.
        lookup = asyncio.ensure_future(self.response_cache.get(request))
        try:
            await admission.resolve()
        except BaseException:
            lookup.add_done_callback(_discard)
            raise
        return await self._cached(lookup)

    async def _cache_get(self, request: ChatRequest) -> Completion | None:
        if self.response_cache is None or not request.deterministic:
            return None
        return await self._cached(self.response_cache.get(request))

    async def _cached(self, lookup: Awaitable[Completion | None]) -> Completion | None:
        found = await self._guard_cache("response_cache", lookup, _UNAVAILABLE)
        if isinstance(found, _Unavailable):
            self.observer.cache_lookup("response", "error")
            return None
        self.observer.cache_lookup("response", "miss" if found is None else "hit")
        return found

    def _cache_put_later(self, request: ChatRequest, completion: Completion) -> None:
        """Store the answer in the background: the caller already has it, so a cache
        write never adds latency and never fails a request (a failure is counted)."""
        if self.response_cache is None or not request.deterministic:
            return
        task = asyncio.create_task(self._cache_put(self.response_cache, request, completion))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _cache_put(
        self, cache: ResponseCache, request: ChatRequest, completion: Completion
    ) -> None:
        try:
            await cache.put(request, completion)
        except DependencyUnavailable:
            self.observer.dependency_failure("response_cache", self.config.cache_policy)

    async def aclose(self, *, timeout: float = 2.0) -> None:
        """Wait (at most ``timeout`` seconds) for background cache writes to finish."""
        if self._writes:
            await asyncio.wait(set(self._writes), timeout=timeout)

    async def _guard_store(self, call: Awaitable[T], fallback: F) -> T | F:
        return await guarded(
            call,
            dependency="store",
            policy=self.config.store_policy,
            fallback=fallback,
            observer=self.observer,
        )

    async def _guard_cache(self, dependency: str, call: Awaitable[T], fallback: F) -> T | F:
        return await guarded(
            call,
            dependency=dependency,
            policy=self.config.cache_policy,
            fallback=fallback,
            observer=self.observer,
        )


class _Unavailable:
    """Marks a lookup skipped because its dependency failed under fail-open."""


_UNAVAILABLE = _Unavailable()


def _discard(task: asyncio.Future[Completion | None]) -> None:
    """Retrieve an unused lookup's outcome, so a failure of it is not reported as lost."""
    if not task.cancelled():
        task.exception()


def _turn_key(user_id: str, conversation_id: str) -> str:
    """Turn-cache key: scoped by user, so a hit also proves ownership."""
    return f"{user_id}/{conversation_id}"


def _completion(parts: Sequence[str], done: StreamDone) -> Completion:
    return Completion(
        text="".join(parts),
        provider=done.provider,
        model=done.model,
        usage=done.usage,
        finish_reason=done.finish_reason,
    )
