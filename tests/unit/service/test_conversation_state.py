"""The chat domain's conversation state with in-memory ports: the versioned turn cache,
tombstones, idempotency keys and writes of unknown outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.adapters.redis.memory import MemoryTurnCache
from service.adapters.stores.memory import MemoryConversationStore
from service.domain.errors import BadRequest, DependencyUnavailable, NotFound
from service.domain.guards import turn_key
from service.domain.policy import FailurePolicy
from tests.unit.service.test_chat_service import ALICE, DownCache, DownStore, make

_CALLS = ("get_conversation", "recent_turns", "append_turns", "create_conversation")


class SwitchableStore(MemoryConversationStore):
    """A memory store that can be made unreachable mid-test."""

    down = False

    def __getattribute__(self, name: str) -> Any:
        if name in _CALLS and object.__getattribute__(self, "down"):

            async def unreachable(*args: Any, **kwargs: Any) -> Any:
                raise DependencyUnavailable("store down", dependency="store")

            return unreachable
        return super().__getattribute__(name)


async def test_a_stale_entry_never_reaches_the_provider() -> None:
    """An entry left at an older version (a lost race) is replaced by the store's turns."""
    cache = MemoryTurnCache()
    service, recorder, _ = make(turn_cache=cache)
    first = await service.chat(await service.prepare(ALICE, message="one"))
    key = turn_key(ALICE.id, first.conversation_id)
    await cache.invalidate(key)
    await cache.put_recent(key, [], version=1)  # what a slow writer might leave
    prepared = await service.prepare(ALICE, message="two", conversation_id=first.conversation_id)
    assert [m.content for m in prepared.request.messages] == ["one", "echo: one", "two"]
    assert ("cache_lookup", "turns", "miss") in recorder.calls


async def test_the_store_says_not_found_before_a_cached_entry_is_used() -> None:
    """A conversation gone from the store is NotFound even with its turns still cached."""
    cache = MemoryTurnCache()
    store = MemoryConversationStore()
    service, _, echo = make(store=store, turn_cache=cache)
    first = await service.chat(await service.prepare(ALICE, message="secret"))
    await store.delete_conversation(user_id=ALICE.id, conversation_id=first.conversation_id)
    with pytest.raises(NotFound):
        await service.prepare(ALICE, message="again", conversation_id=first.conversation_id)
    assert echo.calls == 1


async def test_store_down_fail_open_honours_a_tombstone_and_uses_a_live_entry() -> None:
    """With the store down (fail-open): a deleted conversation is NotFound, a live one
    keeps its cached turns as context."""
    store = SwitchableStore()
    service, _, _ = make(
        store=store, turn_cache=MemoryTurnCache(), store_policy=FailurePolicy.FAIL_OPEN
    )
    doomed = await service.chat(await service.prepare(ALICE, message="doomed"))
    live = await service.chat(await service.prepare(ALICE, message="live"))
    await service.delete_conversation(ALICE, doomed.conversation_id)
    store.down = True
    with pytest.raises(NotFound):
        await service.prepare(ALICE, message="x", conversation_id=doomed.conversation_id)
    prepared = await service.prepare(ALICE, message="y", conversation_id=live.conversation_id)
    assert [m.content for m in prepared.request.messages] == ["live", "echo: live", "y"]


async def test_a_failed_purge_under_store_fail_open_deletes_nothing() -> None:
    """When the tombstone cannot be written and the store is fail-open, the delete raises
    and the conversation stays."""
    store = MemoryConversationStore()
    service, _, _ = make(store=store, turn_cache=DownCache(), store_policy=FailurePolicy.FAIL_OPEN)
    reply = await service.chat(await service.prepare(ALICE, message="keep"))
    with pytest.raises(DependencyUnavailable, match="not deleted"):
        await service.delete_conversation(ALICE, reply.conversation_id)
    assert await store.get_conversation(user_id=ALICE.id, conversation_id=reply.conversation_id)


async def test_the_same_key_and_body_is_answered_once() -> None:
    """A replayed key answers the stored reply with no provider call and no new turns."""
    service, _, echo = make()
    first = await service.chat(await service.prepare(ALICE, message="hi", idempotency_key="k"))
    again = await service.chat(await service.prepare(ALICE, message="hi", idempotency_key="k"))
    assert again == first
    assert echo.calls == 1
    detail = await service.get_conversation(ALICE, first.conversation_id)
    assert len(detail.turns) == 2


async def test_the_same_key_with_another_body_is_refused() -> None:
    """Another message under a stored key is a BadRequest naming the header."""
    service, _, _ = make()
    await service.chat(await service.prepare(ALICE, message="hi", idempotency_key="k"))
    with pytest.raises(BadRequest) as refused:
        await service.prepare(ALICE, message="other", idempotency_key="k")
    assert refused.value.field == "Idempotency-Key"


async def test_racing_requests_with_one_key_store_one_pair_of_turns() -> None:
    """Two requests with one key prepared together: one pair of turns is stored, both
    answer the stored reply, and the loser's new conversation is removed."""
    store = MemoryConversationStore()
    service, _, _ = make(store=store)
    one, two = await asyncio.gather(
        service.prepare(ALICE, message="race", idempotency_key="k"),
        service.prepare(ALICE, message="race", idempotency_key="k"),
    )
    first = await service.chat(one)
    second = await service.chat(two)
    assert second.conversation_id == first.conversation_id
    assert second.completion == first.completion
    page = await store.list_conversations(user_id=ALICE.id)
    assert [c.turn_count for c in page.items] == [2]


async def test_a_write_of_unknown_outcome_is_said_so_and_keeps_the_conversation() -> None:
    """append_turns commits then raises: the error says the outcome is unknown, the
    turns are counted as outcome_unknown, and the created conversation stays."""

    class LostAnswer(MemoryConversationStore):
        async def append_turns(self, **kwargs: Any) -> int:
            await super().append_turns(**kwargs)
            raise DependencyUnavailable("connection reset", dependency="store")

    store = LostAnswer()
    service, recorder, _ = make(store=store)
    prepared = await service.prepare(ALICE, message="hi", idempotency_key="k")
    with pytest.raises(DependencyUnavailable, match="outcome is unknown"):
        await service.chat(prepared)
    assert ("turns_unpersisted", 2, "outcome_unknown") in recorder.calls
    detail = await service.get_conversation(ALICE, prepared.conversation_id)
    assert len(detail.turns) == 2


async def test_store_down_fail_closed_is_an_error_before_any_provider_call() -> None:
    """With the store down under fail-closed, continuing a conversation raises and no
    provider is asked."""
    service, _, echo = make(store=DownStore(), turn_cache=MemoryTurnCache())
    with pytest.raises(DependencyUnavailable):
        await service.prepare(
            ALICE, message="x", conversation_id="00000000-0000-0000-0000-000000000000"
        )
    assert echo.calls == 0
