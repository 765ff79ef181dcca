"""A NUL character in message text is bad input (422 naming the field), not a 500 from
the PostgreSQL store, which cannot hold one in a ``text`` column."""

from __future__ import annotations

from service.settings import Settings
from tests.integration.service.conftest import MODEL, MakeClient


async def test_chat_message_with_nul_is_422_naming_message(
    chat_client: MakeClient, postgres_settings: Settings, alice: dict[str, str]
) -> None:
    """POST /v1/chat with a NUL in the message answers 422 naming `message` and stores nothing."""
    client = await chat_client(postgres_settings)
    response = await client.post("/v1/chat", json={"message": "hi\u0000there"}, headers=alice)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "message"
    listed = await client.get("/v1/conversations", headers=alice)
    assert listed.status_code == 200
    assert listed.json()["items"] == []


async def test_completions_message_with_nul_is_400_naming_the_content(
    chat_client: MakeClient, postgres_settings: Settings, alice: dict[str, str]
) -> None:
    """POST /v1/chat/completions with a NUL in a message content answers 400 (OpenAI's
    status for an invalid body) naming it as ``param``."""
    client = await chat_client(postgres_settings)
    body = {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi\u0000there"},
        ],
    }
    response = await client.post("/v1/chat/completions", json=body, headers=alice)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == "messages[1].content"


async def test_chat_message_without_nul_is_stored_in_postgres(
    chat_client: MakeClient, postgres_settings: Settings, alice: dict[str, str]
) -> None:
    """Ordinary control characters (tab, newline) still pass and are stored as sent."""
    client = await chat_client(postgres_settings)
    response = await client.post("/v1/chat", json={"message": "hi\tthere\n"}, headers=alice)
    assert response.status_code == 200, response.text
    detail = await client.get(
        f"/v1/conversations/{response.json()['conversation_id']}", headers=alice
    )
    assert detail.json()["turns"][0]["content"] == "hi\tthere\n"
