"""The ``ConversationStore`` contract, run on every adapter whose server is reachable."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from service.domain.errors import BadRequest, DuplicateRequest, NotFound
from service.domain.ports import ConversationStore
from service.domain.types import Completion, IdempotentReply, Role, Turn, Usage

ALICE = "user-alice"
BOB = "user-bob"
_T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)  # whole milliseconds: Mongo keeps ms


def _turns(count: int, *, start: int = 0) -> list[Turn]:
    return [
        Turn(
            role=Role.USER if i % 2 == 0 else Role.ASSISTANT,
            content=f"message {i}",
            created_at=_T0 + timedelta(seconds=i),
            provider=None if i % 2 == 0 else "fake-openai",
            model=None if i % 2 == 0 else "gpt-test",
        )
        for i in range(start, start + count)
    ]


async def test_create_returns_an_empty_conversation_owned_by_the_caller(
    store: ConversationStore,
) -> None:
    """A new conversation belongs to its creator, keeps its title and has no turns."""
    conversation = await store.create_conversation(user_id=ALICE, title="hello")
    assert conversation.user_id == ALICE
    assert conversation.title == "hello"
    assert conversation.turn_count == 0
    assert conversation.created_at == conversation.updated_at
    assert uuid.UUID(conversation.id)


async def test_get_returns_the_created_conversation(store: ConversationStore) -> None:
    """Reading a conversation back gives the value create returned."""
    created = await store.create_conversation(user_id=ALICE, title="t")
    assert await store.get_conversation(user_id=ALICE, conversation_id=created.id) == created


async def test_get_hides_another_users_conversation(store: ConversationStore) -> None:
    """Another user's conversation is not found, exactly like a missing one."""
    created = await store.create_conversation(user_id=ALICE)
    assert await store.get_conversation(user_id=BOB, conversation_id=created.id) is None


@pytest.mark.parametrize("conversation_id", [str(uuid.uuid4()), "not-a-uuid", ""])
async def test_get_of_an_unknown_id_is_none(store: ConversationStore, conversation_id: str) -> None:
    """A missing or malformed id is not found, never an error."""
    assert await store.get_conversation(user_id=ALICE, conversation_id=conversation_id) is None


async def test_list_is_newest_first_and_only_the_callers(store: ConversationStore) -> None:
    """Listing shows only the caller's conversations, most recently created first."""
    first = await store.create_conversation(user_id=ALICE, title="first")
    await store.create_conversation(user_id=BOB, title="bob's")
    second = await store.create_conversation(user_id=ALICE, title="second")
    page = await store.list_conversations(user_id=ALICE)
    assert [c.id for c in page.items] == [second.id, first.id]
    assert page.next_cursor is None


async def test_pagination_walks_every_conversation_once(store: ConversationStore) -> None:
    """Following cursors visits each conversation exactly once, newest first."""
    created = [await store.create_conversation(user_id=ALICE, title=str(i)) for i in range(5)]
    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        page = await store.list_conversations(user_id=ALICE, limit=2, cursor=cursor)
        pages += 1
        assert len(page.items) <= 2
        seen.extend(c.id for c in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [c.id for c in reversed(created)]
    assert pages == 3


@pytest.mark.parametrize("cursor", ["garbage", "!!!", "WzEsMl0"])
async def test_a_malformed_cursor_is_a_bad_request(store: ConversationStore, cursor: str) -> None:
    """A cursor the store did not issue is rejected as bad input naming the field."""
    with pytest.raises(BadRequest) as raised:
        await store.list_conversations(user_id=ALICE, cursor=cursor)
    assert raised.value.field == "cursor"


async def test_appended_turns_come_back_oldest_first(store: ConversationStore) -> None:
    """Turns are returned in append order with every field intact."""
    conversation = await store.create_conversation(user_id=ALICE)
    turns = _turns(4)
    await store.append_turns(user_id=ALICE, conversation_id=conversation.id, turns=turns[:2])
    await store.append_turns(user_id=ALICE, conversation_id=conversation.id, turns=turns[2:])
    assert await store.recent_turns(conversation_id=conversation.id, limit=10) == turns


async def test_recent_turns_returns_only_the_last_ones(store: ConversationStore) -> None:
    """A limit keeps the most recent turns, still oldest first."""
    conversation = await store.create_conversation(user_id=ALICE)
    turns = _turns(6)
    await store.append_turns(user_id=ALICE, conversation_id=conversation.id, turns=turns)
    assert await store.recent_turns(conversation_id=conversation.id, limit=3) == turns[3:]


async def test_recent_turns_of_an_unknown_conversation_is_empty(store: ConversationStore) -> None:
    """An unknown conversation has no turns rather than an error."""
    assert await store.recent_turns(conversation_id=str(uuid.uuid4()), limit=5) == []


async def test_append_updates_count_and_moves_the_conversation_first(
    store: ConversationStore,
) -> None:
    """Appending bumps turn_count and updated_at, so the conversation lists first."""
    older = await store.create_conversation(user_id=ALICE, title="older")
    await store.create_conversation(user_id=ALICE, title="newer")
    await store.append_turns(user_id=ALICE, conversation_id=older.id, turns=_turns(2))
    after = await store.get_conversation(user_id=ALICE, conversation_id=older.id)
    assert after is not None
    assert after.turn_count == 2
    assert after.updated_at > older.updated_at
    page = await store.list_conversations(user_id=ALICE)
    assert page.items[0].id == older.id


async def test_append_to_another_users_conversation_is_not_found(
    store: ConversationStore,
) -> None:
    """Appending to someone else's conversation fails as not found and stores nothing."""
    conversation = await store.create_conversation(user_id=ALICE)
    with pytest.raises(NotFound):
        await store.append_turns(user_id=BOB, conversation_id=conversation.id, turns=_turns(1))
    assert await store.recent_turns(conversation_id=conversation.id, limit=5) == []


async def test_append_to_a_missing_conversation_is_not_found(store: ConversationStore) -> None:
    """Appending to an id that does not exist fails as not found."""
    with pytest.raises(NotFound):
        await store.append_turns(user_id=ALICE, conversation_id=str(uuid.uuid4()), turns=_turns(1))


async def test_delete_removes_the_conversation_and_its_turns(store: ConversationStore) -> None:
    """Deleting reports success and leaves neither the conversation nor its turns."""
    conversation = await store.create_conversation(user_id=ALICE)
    await store.append_turns(user_id=ALICE, conversation_id=conversation.id, turns=_turns(2))
    assert await store.delete_conversation(user_id=ALICE, conversation_id=conversation.id)
    assert await store.get_conversation(user_id=ALICE, conversation_id=conversation.id) is None
    assert await store.recent_turns(conversation_id=conversation.id, limit=5) == []
    assert not await store.delete_conversation(user_id=ALICE, conversation_id=conversation.id)


async def test_delete_by_another_user_changes_nothing(store: ConversationStore) -> None:
    """Another user cannot delete a conversation; it reports not-found and it stays."""
    conversation = await store.create_conversation(user_id=ALICE)
    assert not await store.delete_conversation(user_id=BOB, conversation_id=conversation.id)
    assert await store.get_conversation(user_id=ALICE, conversation_id=conversation.id) is not None


async def test_ping_is_true_when_the_server_answers(store: ConversationStore) -> None:
    """A reachable store reports itself up."""
    assert await store.ping()


async def test_concurrent_appends_all_land_in_order(store: ConversationStore) -> None:
    """Simultaneous appends to one conversation keep every turn and each batch's order."""
    conversation = await store.create_conversation(user_id=ALICE)
    batches = [_turns(2, start=2 * i) for i in range(8)]
    await asyncio.gather(
        *(
            store.append_turns(user_id=ALICE, conversation_id=conversation.id, turns=batch)
            for batch in batches
        )
    )
    stored = await store.recent_turns(conversation_id=conversation.id, limit=100)
    assert sorted(t.content for t in stored) == sorted(t.content for b in batches for t in b)
    for batch in batches:
        assert stored.index(batch[0]) + 1 == stored.index(batch[1])
    after = await store.get_conversation(user_id=ALICE, conversation_id=conversation.id)
    assert after is not None
    assert after.turn_count == 16


async def test_append_returns_the_new_turn_count(store: ConversationStore) -> None:
    """Each append answers the conversation's turn_count after it (the cache's version)."""
    conversation = await store.create_conversation(user_id=ALICE)
    first = await store.append_turns(
        user_id=ALICE, conversation_id=conversation.id, turns=_turns(2)
    )
    second = await store.append_turns(
        user_id=ALICE, conversation_id=conversation.id, turns=_turns(3, start=2)
    )
    assert (first, second) == (2, 5)


async def test_recent_turns_upto_is_the_history_as_of_that_count(
    store: ConversationStore,
) -> None:
    """With ``upto`` only the first ``upto`` turns are considered, whatever came later."""
    conversation = await store.create_conversation(user_id=ALICE)
    turns = _turns(6)
    await store.append_turns(user_id=ALICE, conversation_id=conversation.id, turns=turns)
    recent = await store.recent_turns(conversation_id=conversation.id, limit=3, upto=4)
    assert recent == turns[1:4]
    assert await store.recent_turns(conversation_id=conversation.id, limit=3, upto=0) == []


def _reply(conversation_id: str, key: str = "key-1", fingerprint: str = "f1") -> IdempotentReply:
    return IdempotentReply(
        key=key,
        fingerprint=fingerprint,
        conversation_id=conversation_id,
        completion=Completion(
            text="stored answer",
            provider="fake-openai",
            model="gpt-test",
            usage=Usage(input_tokens=7, output_tokens=2),
            finish_reason="length",
        ),
    )


async def test_an_idempotency_key_is_stored_with_its_turns(store: ConversationStore) -> None:
    """The reply stored with an append comes back whole under its user and key only."""
    conversation = await store.create_conversation(user_id=ALICE)
    reply = _reply(conversation.id)
    await store.append_turns(
        user_id=ALICE, conversation_id=conversation.id, turns=_turns(2), reply=reply
    )
    assert await store.find_reply(user_id=ALICE, key="key-1") == reply
    assert await store.find_reply(user_id=BOB, key="key-1") is None
    assert await store.find_reply(user_id=ALICE, key="key-2") is None


async def test_a_stored_key_refuses_a_second_append_writing_nothing(
    store: ConversationStore,
) -> None:
    """An append with a key already stored raises DuplicateRequest and adds no turn."""
    conversation = await store.create_conversation(user_id=ALICE)
    await store.append_turns(
        user_id=ALICE,
        conversation_id=conversation.id,
        turns=_turns(2),
        reply=_reply(conversation.id),
    )
    with pytest.raises(DuplicateRequest):
        await store.append_turns(
            user_id=ALICE,
            conversation_id=conversation.id,
            turns=_turns(2, start=2),
            reply=_reply(conversation.id, fingerprint="f2"),
        )
    assert len(await store.recent_turns(conversation_id=conversation.id, limit=10)) == 2
    after = await store.get_conversation(user_id=ALICE, conversation_id=conversation.id)
    assert after is not None
    assert after.turn_count == 2
    stored = await store.find_reply(user_id=ALICE, key="key-1")
    assert stored is not None
    assert stored.fingerprint == "f1"


async def test_a_key_goes_with_its_conversation(store: ConversationStore) -> None:
    """Deleting the conversation deletes its stored keys."""
    conversation = await store.create_conversation(user_id=ALICE)
    await store.append_turns(
        user_id=ALICE,
        conversation_id=conversation.id,
        turns=_turns(2),
        reply=_reply(conversation.id),
    )
    assert await store.delete_conversation(user_id=ALICE, conversation_id=conversation.id)
    assert await store.find_reply(user_id=ALICE, key="key-1") is None


async def test_a_key_on_another_users_conversation_is_not_stored(
    store: ConversationStore,
) -> None:
    """An append refused as not found leaves its key unstored."""
    conversation = await store.create_conversation(user_id=ALICE)
    with pytest.raises(NotFound):
        await store.append_turns(
            user_id=BOB,
            conversation_id=conversation.id,
            turns=_turns(2),
            reply=_reply(conversation.id),
        )
    assert await store.find_reply(user_id=BOB, key="key-1") is None
