"""Chat over HTTP with real Redis, PostgreSQL and the fake OpenAI behind its SDK."""

from __future__ import annotations

import re
from typing import Any

from service.settings import Settings
from tests.integration.service.conftest import MakeClient, metric_value, parse_sse


async def test_chat_answers_and_stores_both_turns(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """A chat turn answers with provider metadata and stores the user and assistant turns."""
    client = await chat_client(full_settings)
    response = await client.post("/v1/chat", json={"message": "Hello there"}, headers=alice)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["provider"] == "openai"
    assert body["message"]
    assert body["cached"] is False
    assert body["usage"]["output_tokens"] > 0
    detail = await client.get(f"/v1/conversations/{body['conversation_id']}", headers=alice)
    assert detail.status_code == 200
    turns = detail.json()["turns"]
    assert [t["role"] for t in turns] == ["user", "assistant"]
    assert turns[0]["content"] == "Hello there"
    assert turns[1]["content"] == body["message"]


async def test_second_turn_continues_the_conversation(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """A turn naming a conversation id appends to it (four turns after two chats)."""
    client = await chat_client(full_settings)
    first = (await client.post("/v1/chat", json={"message": "one"}, headers=alice)).json()
    conversation_id = first["conversation_id"]
    second = await client.post(
        "/v1/chat", json={"message": "two", "conversation_id": conversation_id}, headers=alice
    )
    assert second.status_code == 200, second.text
    assert second.json()["conversation_id"] == conversation_id
    detail = (await client.get(f"/v1/conversations/{conversation_id}", headers=alice)).json()
    assert detail["conversation"]["turn_count"] == 4
    assert [t["content"] for t in detail["turns"] if t["role"] == "user"] == ["one", "two"]


async def test_streaming_chat_sends_tokens_then_done_and_persists(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """``stream: true`` yields start, token events and a done event; the turn is stored."""
    client = await chat_client(full_settings)
    response = await client.post(
        "/v1/chat", json={"message": "stream please", "stream": True}, headers=alice
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names[0] == "start"
    assert names[-1] == "done"
    assert names.count("token") >= 1
    text = "".join(data["text"] for name, data in events if name == "token")
    done = events[-1][1]
    assert done["provider"] == "openai"
    conversation_id = events[0][1]["conversation_id"]
    assert done["conversation_id"] == conversation_id
    detail = (await client.get(f"/v1/conversations/{conversation_id}", headers=alice)).json()
    assert detail["turns"][1]["content"] == text


async def test_conversations_are_listed_newest_first_and_paginated(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """The caller's conversations come back newest first, a page at a time."""
    client = await chat_client(full_settings)
    ids = []
    for n in range(3):
        reply = await client.post("/v1/chat", json={"message": f"topic {n}"}, headers=alice)
        ids.append(reply.json()["conversation_id"])
    page = (await client.get("/v1/conversations?limit=2", headers=alice)).json()
    assert [c["id"] for c in page["items"]] == [ids[2], ids[1]]
    assert page["next_cursor"]
    rest = await client.get(
        "/v1/conversations", params={"limit": 2, "cursor": page["next_cursor"]}, headers=alice
    )
    assert [c["id"] for c in rest.json()["items"]] == [ids[0]]


async def test_delete_removes_a_conversation(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """DELETE answers 204 and the conversation is then not found."""
    client = await chat_client(full_settings)
    conversation_id = (
        await client.post("/v1/chat", json={"message": "bye"}, headers=alice)
    ).json()["conversation_id"]
    deleted = await client.delete(f"/v1/conversations/{conversation_id}", headers=alice)
    assert deleted.status_code == 204
    missing = await client.get(f"/v1/conversations/{conversation_id}", headers=alice)
    assert missing.status_code == 404


async def test_another_users_conversation_is_not_found(
    chat_client: MakeClient,
    full_settings: Settings,
    alice: dict[str, str],
    bob: dict[str, str],
) -> None:
    """Bob cannot read, continue, list or delete Alice's conversation: 404, not 403."""
    client = await chat_client(full_settings)
    conversation_id = (
        await client.post("/v1/chat", json={"message": "secret"}, headers=alice)
    ).json()["conversation_id"]
    path = f"/v1/conversations/{conversation_id}"
    assert (await client.get(path, headers=bob)).status_code == 404
    assert (await client.delete(path, headers=bob)).status_code == 404
    follow_up = {"message": "let me in", "conversation_id": conversation_id}
    assert (await client.post("/v1/chat", json=follow_up, headers=bob)).status_code == 404
    assert (await client.get("/v1/conversations", headers=bob)).json()["items"] == []
    assert (await client.get(path, headers=alice)).status_code == 200


async def test_requests_without_a_valid_key_get_401(
    chat_client: MakeClient, full_settings: Settings
) -> None:
    """A missing, malformed or unknown key gets 401 problem+json with WWW-Authenticate."""
    client = await chat_client(full_settings)
    for headers in ({}, {"authorization": "Basic abc"}, {"authorization": "Bearer nope"}):
        response = await client.post("/v1/chat", json={"message": "hi"}, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await client.get("/v1/conversations")).status_code == 401


async def test_health_ready_metrics_and_docs_need_no_key(
    chat_client: MakeClient, full_settings: Settings
) -> None:
    """Liveness, readiness (every dependency up), metrics and Swagger are public."""
    client = await chat_client(full_settings)
    assert (await client.get("/v1/health")).json() == {"status": "ok"}
    ready = await client.get("/v1/ready")
    assert ready.status_code == 200
    deps: dict[str, Any] = ready.json()["dependencies"]
    assert {name: d["status"] for name, d in deps.items()} == {
        "store": "up",
        "redis": "up",
        "openai": "up",
    }
    metrics = await client.get("/metrics")
    assert metric_value(metrics.text, "chat_dependency_up", dependency="store") == 1.0
    assert (await client.get("/docs")).status_code == 200
    schema = (await client.get("/docs/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"create_chat", "create_chat_completion", "list_conversations"} <= operations


async def test_requests_are_counted_by_route_template(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """HTTP metrics use the route template, never the raw path with an id in it."""
    client = await chat_client(full_settings)
    await client.get("/v1/conversations/00000000-0000-0000-0000-000000000000", headers=alice)
    text = (await client.get("/metrics")).text
    assert (
        metric_value(
            text,
            "chat_http_requests_total",
            route="/v1/conversations/{conversation_id}",
            status="404",
        )
        == 1.0
    )
    assert "00000000-0000" not in text
    templates = {route.path_format for route in client.app.routes}
    routes = set(re.findall(r'^chat_http_requests_total\{[^}]*route="([^"]*)"', text, re.M))
    assert routes <= templates, routes - templates


async def test_every_response_names_the_replica_that_answered(
    chat_client: MakeClient, full_settings: Settings, alice: dict[str, str]
) -> None:
    """``x-chat-replica`` carries ``CHAT_INSTANCE`` on answers, errors and streams alike."""
    import msgspec

    settings = msgspec.structs.replace(
        full_settings, server=msgspec.structs.replace(full_settings.server, instance="replica-2")
    )
    client = await chat_client(settings)
    answer = await client.post("/v1/chat", json={"message": "who?"}, headers=alice)
    refused = await client.post("/v1/chat", json={"message": ""}, headers=alice)
    stream = await client.post("/v1/chat", json={"message": "s", "stream": True}, headers=alice)
    assert (answer.status_code, refused.status_code, stream.status_code) == (200, 422, 200)
    assert {r.headers["x-chat-replica"] for r in (answer, refused, stream)} == {"replica-2"}
