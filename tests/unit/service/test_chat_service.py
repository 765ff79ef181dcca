"""ChatService orchestration with in-memory ports: context, cache, persistence, and the
fail-open / fail-closed policy applied to each dependency."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from service.adapters.redis.memory import MemoryResponseCache, MemoryTurnCache
from service.adapters.stores.memory import MemoryConversationStore
from service.domain.chat import ChatConfig, ChatService
from service.domain.errors import BadRequest, DependencyUnavailable, NotFound
from service.domain.policy import FailurePolicy
from service.domain.types import (
    CachedTurns,
    ChatRequest,
    Completion,
    Message,
    RateLimitTier,
    Role,
    StreamDelta,
    StreamDone,
    Turn,
    User,
)
from service.resilience.router import ProviderRouter
from tests.unit.service.doubles import EchoProvider

ALICE = User(id="alice", tier=RateLimitTier(name="default", requests=10, period_seconds=60))
BOB = User(id="bob", tier=ALICE.tier)


class Recorder:
    """A ChatObserver that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def dependency_failure(self, dependency: str, policy: FailurePolicy) -> None:
        self.calls.append(("dependency_failure", dependency, str(policy)))

    def cache_lookup(self, cache: str, outcome: str) -> None:
        self.calls.append(("cache_lookup", cache, outcome))

    def rate_limit(self, tier: str, outcome: str) -> None:
        self.calls.append(("rate_limit", tier, outcome))

    def turns_unpersisted(self, count: int, reason: str) -> None:
        self.calls.append(("turns_unpersisted", count, reason))

    def chat_result(self, **fields: Any) -> None:
        self.calls.append(("chat_result", fields["provider"], fields["cached"]))

    def dependency_status(self, dependency: str, up: bool) -> None:
        self.calls.append(("dependency_status", dependency, up))


class DownStore(MemoryConversationStore):
    """A store whose server is unreachable: every call raises DependencyUnavailable."""

    def __getattribute__(self, name: str) -> Any:
        if name in ("create_conversation", "get_conversation", "list_conversations",
                    "append_turns", "recent_turns", "delete_conversation"):  # fmt: skip

            async def down(*args: Any, **kwargs: Any) -> Any:
                raise DependencyUnavailable("store down", dependency="store")

            return down
        return super().__getattribute__(name)


class DownCache:
    """A response and turn cache whose Redis is unreachable."""

    async def get(self, request: ChatRequest) -> Completion | None:
        raise DependencyUnavailable("redis down", dependency="redis")

    async def put(self, request: ChatRequest, completion: Completion) -> None:
        raise DependencyUnavailable("redis down", dependency="redis")

    async def get_recent(self, conversation_id: str) -> CachedTurns | None:
        raise DependencyUnavailable("redis down", dependency="redis")

    async def put_recent(
        self, conversation_id: str, turns: Sequence[Turn], *, version: int
    ) -> None:
        raise DependencyUnavailable("redis down", dependency="redis")

    async def mark_deleted(self, conversation_id: str) -> None:
        raise DependencyUnavailable("redis down", dependency="redis")

    async def invalidate(self, conversation_id: str) -> None:
        raise DependencyUnavailable("redis down", dependency="redis")

    async def aclose(self) -> None:
        return None


def make(
    *,
    store: Any = None,
    response_cache: Any = None,
    turn_cache: Any = None,
    provider: EchoProvider | None = None,
    **config: Any,
) -> tuple[ChatService, Recorder, EchoProvider]:
    echo = provider or EchoProvider(models=("m1",))
    recorder = Recorder()
    service = ChatService(
        backend=ProviderRouter([echo]),
        store=store or MemoryConversationStore(),
        config=ChatConfig(models=frozenset({"m1"}), default_model="m1", **config),
        turn_cache=turn_cache,
        response_cache=response_cache,
        observer=recorder,
    )
    return service, recorder, echo


async def test_chat_stores_both_turns_and_reuses_them_as_context() -> None:
    """The second turn of a conversation is sent with the first two as context."""
    service, _, echo = make()
    first = await service.chat(await service.prepare(ALICE, message="one"))
    prepared = await service.prepare(ALICE, message="two", conversation_id=first.conversation_id)
    assert [m.content for m in prepared.request.messages] == ["one", "echo: one", "two"]
    await service.chat(prepared)
    detail = await service.get_conversation(ALICE, first.conversation_id)
    assert [t.content for t in detail.turns] == ["one", "echo: one", "two", "echo: two"]
    assert echo.calls == 2


async def test_turn_cache_hit_skips_the_store() -> None:
    """With the recent turns cached, preparing a turn reads no turns from the store."""
    turns = MemoryTurnCache(max_turns=20)
    service, recorder, _ = make(turn_cache=turns)
    first = await service.chat(await service.prepare(ALICE, message="one"))
    await service.prepare(ALICE, message="two", conversation_id=first.conversation_id)
    assert ("cache_lookup", "turns", "hit") in recorder.calls


async def test_someone_elses_conversation_is_not_found() -> None:
    """Bob cannot continue, read or delete Alice's conversation."""
    service, _, _ = make(turn_cache=MemoryTurnCache(max_turns=20))
    reply = await service.chat(await service.prepare(ALICE, message="mine"))
    with pytest.raises(NotFound):
        await service.prepare(BOB, message="yours?", conversation_id=reply.conversation_id)
    with pytest.raises(NotFound):
        await service.get_conversation(BOB, reply.conversation_id)
    with pytest.raises(NotFound):
        await service.delete_conversation(BOB, reply.conversation_id)


async def test_deterministic_answers_come_from_the_cache_the_second_time() -> None:
    """A temperature-0 request is answered once by the provider, then by the cache."""
    service, recorder, echo = make(response_cache=MemoryResponseCache())
    request = service.build_request([Message(role=Role.USER, content="hi")], temperature=0)
    first = await service.complete(request)
    await asyncio.sleep(0)  # the cache write runs in the background
    second = await service.complete(request)
    assert (first.cached, second.cached) == (False, True)
    assert second.completion.text == first.completion.text
    assert echo.calls == 1
    assert ("cache_lookup", "response", "hit") in recorder.calls


async def test_stream_from_cache_is_one_delta_then_done() -> None:
    """A cached answer streams as one delta and a done event marked cached."""
    service, _, _ = make(response_cache=MemoryResponseCache())
    request = service.build_request([Message(role=Role.USER, content="hi")], temperature=0)
    await service.complete(request)
    await asyncio.sleep(0)
    events = [e async for e in service.stream(request)]
    assert isinstance(events[0], StreamDelta)
    assert isinstance(events[1], StreamDone)
    assert events[1].cached is True


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"model": "gpt-99"}, "model"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 10**6}, "max_tokens"),
    ],
)
def test_build_request_names_the_bad_field(kwargs: dict[str, Any], field: str) -> None:
    """Validation errors are BadRequest naming the field."""
    service, _, _ = make()
    with pytest.raises(BadRequest) as error:
        service.build_request([Message(role=Role.USER, content="x")], **kwargs)
    assert error.value.field == field


def test_too_many_turns_and_long_messages_are_refused() -> None:
    """More messages than ``max_turns`` or a message over the size limit is BadRequest."""
    service, _, _ = make(max_turns=2, max_message_chars=5)
    many = [Message(role=Role.USER, content="x")] * 3
    with pytest.raises(BadRequest, match="too many turns"):
        service.build_request(many)
    with pytest.raises(BadRequest, match="longer than 5") as error:
        service.build_request([Message(role=Role.USER, content="toolong")])
    assert error.value.field == "messages[0].content"


async def test_store_down_fail_closed_is_an_error() -> None:
    """Under fail-closed a store outage raises DependencyUnavailable and is reported."""
    service, recorder, echo = make(store=DownStore())
    with pytest.raises(DependencyUnavailable):
        await service.prepare(ALICE, message="hi")
    assert ("dependency_failure", "store", "fail-closed") in recorder.calls
    assert echo.calls == 0


async def test_store_down_fail_open_answers_and_reports_unpersisted_turns() -> None:
    """Under fail-open the turn is answered and both turns are reported unpersisted."""
    service, recorder, _ = make(store=DownStore(), store_policy=FailurePolicy.FAIL_OPEN)
    reply = await service.chat(await service.prepare(ALICE, message="hi"))
    assert reply.completion.text == "echo: hi"
    assert ("turns_unpersisted", 2, "store_unavailable") in recorder.calls


async def test_append_failure_fail_open_counts_the_lost_turns() -> None:
    """A store that fails only on append: both turns counted, their outcome unknown."""

    class AppendDown(MemoryConversationStore):
        async def append_turns(self, **kwargs: Any) -> int:
            raise DependencyUnavailable("write failed", dependency="store")

    service, recorder, _ = make(store=AppendDown(), store_policy=FailurePolicy.FAIL_OPEN)
    await service.chat(await service.prepare(ALICE, message="hi"))
    assert ("turns_unpersisted", 2, "outcome_unknown") in recorder.calls


async def test_cache_down_fail_open_bypasses_the_caches() -> None:
    """With Redis down and fail-open, the caches are skipped and the turn answers."""
    down = DownCache()
    service, recorder, _ = make(response_cache=down, turn_cache=down)
    first = await service.chat(await service.prepare(ALICE, message="hi"))
    prepared = await service.prepare(ALICE, message="again", conversation_id=first.conversation_id)
    reply = await service.chat(prepared)
    assert reply.completion.text == "echo: again"
    assert ("dependency_failure", "turn_cache", "fail-open") in recorder.calls


async def test_cache_down_fail_closed_is_an_error() -> None:
    """With Redis down and the cache policy fail-closed, a deterministic request fails."""
    down = DownCache()
    service, _, _ = make(response_cache=down, cache_policy=FailurePolicy.FAIL_CLOSED)
    request = service.build_request([Message(role=Role.USER, content="hi")], temperature=0)
    with pytest.raises(DependencyUnavailable):
        await service.complete(request)


async def test_stream_chat_persists_at_the_end() -> None:
    """A streamed turn is stored once the stream has finished."""
    service, _, _ = make()
    prepared = await service.prepare(ALICE, message="stream me")
    events = [e async for e in service.stream_chat(prepared)]
    assert isinstance(events[-1], StreamDone)
    detail = await service.get_conversation(ALICE, prepared.conversation_id)
    assert detail.turns[-1].content == "".join(e.text for e in events if isinstance(e, StreamDelta))


async def test_abandoned_stream_is_reported_unpersisted() -> None:
    """A stream the client leaves early is not stored and is reported as such."""
    service, recorder, _ = make()
    prepared = await service.prepare(ALICE, message="a b c d")
    stream = service.stream_chat(prepared)
    await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]
    assert ("turns_unpersisted", 2, "stream_incomplete") in recorder.calls
    detail = await service.get_conversation(ALICE, prepared.conversation_id)
    assert detail.turns == ()
