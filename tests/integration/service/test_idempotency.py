"""``Idempotency-Key`` on ``POST /v1/chat`` and the truthful outcome of a write that
failed after it committed (real PostgreSQL, real Redis, the fake OpenAI).

The outcome-unknown case needs a store whose ``append_turns`` commits and then loses its
answer (PostgreSQL committed, the connection broke before the client heard so): the
real PostgreSQL store, wrapped to raise after its write returned, stands for it, since
a proxy toxic cannot cut a connection between ``COMMIT`` and its reply on cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.adapters.stores.postgres import PostgresConversationStore
from service.app import Overrides
from service.domain.errors import DependencyUnavailable
from service.domain.types import IdempotentReply, Turn
from service.settings import Settings
from tests.integration.service.conftest import (
    Client,
    MakeClient,
    metric_value,
    metrics_text,
    parse_sse,
)


class AnswerLostStore(PostgresConversationStore):
    """PostgreSQL whose next ``append_turns`` commits, then fails as a broken connection."""

    lose_next = False

    async def append_turns(
        self,
        *,
        user_id: str,
        conversation_id: str,
        turns: Sequence[Turn],
        reply: IdempotentReply | None = None,
    ) -> int:
        count = await super().append_turns(
            user_id=user_id, conversation_id=conversation_id, turns=turns, reply=reply
        )
        if self.lose_next:
            self.lose_next = False
            raise DependencyUnavailable(
                "postgres append_turns failed: ConnectionResetError", dependency="store"
            )
        return count


def _key(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "idempotency-key": key}


async def _turns(client: Client, conversation_id: str, headers: dict[str, str]) -> list[str]:
    detail = await client.get(f"/v1/conversations/{conversation_id}", headers=headers)
    assert detail.status_code == 200, detail.text
    return [turn["content"] for turn in detail.json()["turns"]]


async def test_the_same_key_and_body_replays_the_reply_without_new_turns(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """A retry with the same key and body gets the same reply, the same conversation,
    and the store still holds one pair of turns (no second provider call)."""
    client = await chat_client(full_settings)
    body = {"message": "book the table"}
    first = await client.post("/v1/chat", json=body, headers=_key(alice, "retry-1"))
    assert first.status_code == 200, first.text
    attempts = metric_value(await metrics_text(client), "chat_provider_attempts_total")
    again = await client.post("/v1/chat", json=body, headers=_key(alice, "retry-1"))
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    conversation_id = first.json()["conversation_id"]
    assert await _turns(client, conversation_id, alice) == [
        "book the table",
        first.json()["message"],
    ]
    assert metric_value(await metrics_text(client), "chat_provider_attempts_total") == attempts


async def test_the_same_key_with_another_body_is_a_422(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """Reusing a key for a different message is refused with a problem naming the header."""
    client = await chat_client(full_settings)
    first = await client.post("/v1/chat", json={"message": "one"}, headers=_key(alice, "k-2"))
    assert first.status_code == 200, first.text
    other = await client.post("/v1/chat", json={"message": "two"}, headers=_key(alice, "k-2"))
    assert other.status_code == 422, other.text
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["field"] == "Idempotency-Key"


async def test_keys_are_per_user(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str], bob: dict[str, str]
) -> None:
    """Another user's request with the same key is a request of its own."""
    client = await chat_client(full_settings)
    mine = await client.post("/v1/chat", json={"message": "hi"}, headers=_key(alice, "shared"))
    theirs = await client.post("/v1/chat", json={"message": "hi"}, headers=_key(bob, "shared"))
    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["conversation_id"] != theirs.json()["conversation_id"]


async def test_a_key_holds_across_replicas(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """Two app instances on one store (two replicas, or one restarted): the second
    answers the first one's stored reply."""
    first_replica = await chat_client(full_settings)
    second_replica = await chat_client(full_settings)
    body = {"message": "across replicas"}
    first = await first_replica.post("/v1/chat", json=body, headers=_key(alice, "r-1"))
    again = await second_replica.post("/v1/chat", json=body, headers=_key(alice, "r-1"))
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    turns = await _turns(second_replica, first.json()["conversation_id"], alice)
    assert len(turns) == 2


async def test_a_bad_key_is_a_422(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """A key longer than 255 characters is refused before anything is stored."""
    client = await chat_client(full_settings)
    refused = await client.post("/v1/chat", json={"message": "hi"}, headers=_key(alice, "k" * 256))
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "Idempotency-Key"


async def test_a_stream_stored_but_unacknowledged_says_its_outcome_is_unknown(
    chat_client: MakeClient, full_settings: Settings, postgres_server: Any, alice: dict[str, str]
) -> None:
    """append_turns commits then raises: the stream's error event says outcome "unknown",
    both turns are counted as outcome_unknown, and a retry with the same key gets the
    stored reply instead of a second pair of turns."""
    store = AnswerLostStore(postgres_server.dsn)
    client = await chat_client(full_settings, overrides=Overrides(store=store))
    body = {"message": "stream it", "stream": True}
    store.lose_next = True
    streamed = await client.post("/v1/chat", json=body, headers=_key(alice, "s-1"))
    events = parse_sse(streamed.text)
    name, error = events[-1]
    assert name == "error", events
    assert error["status"] == 503
    assert error["outcome"] == "unknown"
    assert "Idempotency-Key" in error["detail"]
    conversation_id = events[0][1]["conversation_id"]
    text = "".join(data["text"] for kind, data in events if kind == "token")
    assert await _turns(client, conversation_id, alice) == ["stream it", text]
    counted = metric_value(
        await metrics_text(client), "chat_unpersisted_turns_total", reason="outcome_unknown"
    )
    assert counted == 2
    retry = await client.post("/v1/chat", json=body, headers=_key(alice, "s-1"))
    replayed = parse_sse(retry.text)
    assert [kind for kind, _ in replayed] == ["start", "token", "done"]
    assert replayed[1][1]["text"] == text
    assert await _turns(client, conversation_id, alice) == ["stream it", text]


async def test_a_json_turn_stored_but_unacknowledged_is_a_503_and_keeps_its_conversation(
    chat_client: MakeClient, full_settings: Settings, postgres_server: Any, alice: dict[str, str]
) -> None:
    """The same for a JSON turn that created its conversation: 503 saying the outcome is
    unknown; the conversation (which holds the turns) is not deleted; the retry replays."""
    store = AnswerLostStore(postgres_server.dsn)
    client = await chat_client(full_settings, overrides=Overrides(store=store))
    store.lose_next = True
    failed = await client.post("/v1/chat", json={"message": "json it"}, headers=_key(alice, "j-1"))
    assert failed.status_code == 503, failed.text
    assert "outcome is unknown" in failed.json()["detail"]
    retry = await client.post("/v1/chat", json={"message": "json it"}, headers=_key(alice, "j-1"))
    assert retry.status_code == 200, retry.text
    turns = await _turns(client, retry.json()["conversation_id"], alice)
    assert turns == ["json it", retry.json()["message"]]
