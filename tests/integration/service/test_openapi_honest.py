"""The OpenAPI document and the service agree (the pieces schemathesis flagged, each
pinned on its own): the bad-cursor status, OPTIONS, streams, declared constraints and
strict body types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from service.settings import Settings
from tests.integration.service.conftest import MODEL, Client, MakeClient


@pytest.fixture
async def client(chat_client: MakeClient, openai_settings: Callable[..., Settings]) -> Client:
    """A client over the fake OpenAI as the only provider."""
    return await chat_client(openai_settings())


@pytest.fixture
async def document(client: Client) -> dict[str, Any]:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_bad_cursor_is_a_documented_400(
    client: Client, alice: dict[str, str], document: dict[str, Any]
) -> None:
    """A malformed cursor is 400 naming ``cursor``, a status the route lists."""
    response = await client.get("/v1/conversations?cursor=%25%25%25", headers=alice)
    assert response.status_code == 400
    assert response.json()["field"] == "cursor"
    assert "400" in document["paths"]["/v1/conversations"]["get"]["responses"]


async def test_options_on_a_conversation_allows_get_and_delete(
    client: Client, alice: dict[str, str]
) -> None:
    """OPTIONS on one conversation answers ``Allow: DELETE, GET, OPTIONS``."""
    response = await client.options("/v1/conversations/some-id", headers=alice)
    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, GET, OPTIONS"


@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/completions"])
def test_streams_are_documented(document: dict[str, Any], path: str) -> None:
    """Both chat routes document their ``text/event-stream`` answer beside the JSON one."""
    content = document["paths"][path]["post"]["responses"]["200"]["content"]
    assert {"application/json", "text/event-stream"} <= set(content)


def test_enforced_constraints_are_declared(document: dict[str, Any]) -> None:
    """What the service refuses is declared: blank or long messages, unknown fields on
    /v1/chat, unknown models, empty or too long message lists, max_tokens over the limit."""
    schemas = document["components"]["schemas"]
    chat = schemas["ChatIn"]
    assert chat["additionalProperties"] is False
    assert chat["properties"]["message"]["minLength"] == 1
    assert chat["properties"]["message"]["maxLength"] == Settings().limits.max_message_chars
    assert "pattern" in chat["properties"]["message"]
    assert chat["properties"]["model"]["enum"] == [MODEL, None]
    completions = schemas["CompletionsIn"]["properties"]
    assert completions["messages"]["minItems"] == 1
    assert completions["messages"]["maxItems"] == Settings().limits.max_turns
    assert completions["max_tokens"]["oneOf"][0]["maximum"] == Settings().limits.max_tokens
    assert completions["tools"] == {
        "type": "null",
        "description": "not supported: any value is a 400",
    }


def test_health_and_readiness_need_no_credentials(document: dict[str, Any]) -> None:
    """The public routes say so: ``security: []``."""
    assert document["paths"]["/v1/health"]["get"]["security"] == []
    assert document["paths"]["/v1/ready"]["get"]["security"] == []


async def test_bodies_are_decoded_strictly(client: Client, alice: dict[str, str]) -> None:
    """``"stream": 0`` is a 400 (not ``false``), while ``5.0`` is an integer, as JSON
    Schema says."""
    wrong = await client.post("/v1/chat", json={"message": "hi", "stream": 0}, headers=alice)
    assert wrong.status_code == 400
    assert wrong.json()["field"] == "stream"
    integral = await client.post(
        "/v1/chat", json={"message": "hi", "max_tokens": 5.0}, headers=alice
    )
    assert integral.status_code == 200, integral.text
