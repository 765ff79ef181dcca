"""A first chat turn that fails (bad input, no provider) leaves no empty conversation in
the caller's list; one that succeeds returns the id of the conversation it stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lab.net import free_port
from service.settings import Settings
from tests.fixtures.service import provider_config
from tests.integration.service.conftest import FAST_RETRIES, MakeClient, parse_sse


@pytest.fixture
def dead_provider() -> tuple[Any, ...]:
    """A chain of one provider whose port refuses connections."""
    return (provider_config("openai", "openai", f"http://127.0.0.1:{free_port()}/v1"),)


async def _conversations(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed = await client.get("/v1/conversations", headers=headers)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "hi", "model": "no-such-model"}, "model"),
        ({"message": "hi", "max_tokens": 99999}, "max_tokens"),
    ],
)
async def test_invalid_first_turn_creates_no_conversation(
    chat_client: MakeClient,
    postgres_settings: Settings,
    alice: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    """A 422 first turn (unknown model, max_tokens too large) leaves the list empty."""
    client = await chat_client(postgres_settings)
    response = await client.post("/v1/chat", json=body, headers=alice)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert await _conversations(client, alice) == []


@pytest.mark.parametrize("stream", [False, True])
async def test_provider_failure_on_first_turn_leaves_no_conversation(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    dead_provider: tuple[Any, ...],
    postgres_server: Any,
    alice: dict[str, str],
    stream: bool,
) -> None:
    """A first turn no provider could answer (503, JSON or stream) leaves the list empty."""
    settings = make_service_settings(
        providers=dead_provider, store_url=postgres_server.dsn, resilience=FAST_RETRIES
    )
    client = await chat_client(settings)
    response = await client.post(
        "/v1/chat", json={"message": "hi", "stream": stream}, headers=alice
    )
    assert response.status_code >= 500, response.text
    assert await _conversations(client, alice) == []


async def test_successful_first_turn_returns_the_stored_conversation(
    chat_client: MakeClient,
    postgres_settings: Settings,
    alice: dict[str, str],
) -> None:
    """After failed attempts, a good first turn lists one conversation: the returned id,
    holding both turns."""
    client = await chat_client(postgres_settings)
    bad = await client.post("/v1/chat", json={"message": "hi", "model": "nope"}, headers=alice)
    assert bad.status_code == 422
    good = await client.post("/v1/chat", json={"message": "hi"}, headers=alice)
    assert good.status_code == 200, good.text
    conversation_id = good.json()["conversation_id"]
    listed = await _conversations(client, alice)
    assert [(c["id"], c["turn_count"]) for c in listed] == [(conversation_id, 2)]


async def test_streamed_first_turn_announces_the_stored_conversation(
    chat_client: MakeClient,
    postgres_settings: Settings,
    alice: dict[str, str],
) -> None:
    """A streamed first turn's `start` and `done` events name the conversation stored."""
    client = await chat_client(postgres_settings)
    response = await client.post("/v1/chat", json={"message": "hi", "stream": True}, headers=alice)
    assert response.status_code == 200, response.text
    events = dict(parse_sse(response.text))
    conversation_id = events["start"]["conversation_id"]
    assert events["done"]["conversation_id"] == conversation_id
    listed = await _conversations(client, alice)
    assert [(c["id"], c["turn_count"]) for c in listed] == [(conversation_id, 2)]
