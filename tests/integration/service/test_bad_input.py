"""Bad input never gives a 500: each case is a 4xx problem+json naming field and reason
(the OpenAI-compatible route's cases, in OpenAI's dialect, are in ``test_openai_errors``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from service.settings import ChatLimits, ServerSettings, Settings
from tests.integration.service.conftest import MODEL, MakeClient


@pytest.fixture
def strict_settings(
    make_service_settings: Callable[..., Settings], openai_only: tuple[Any, ...]
) -> Settings:
    """Small limits so each one is easy to cross."""
    return make_service_settings(
        providers=openai_only,
        limits=ChatLimits(default_model=MODEL, max_message_chars=100, max_turns=4),
        server=ServerSettings(max_body_bytes=4_096),
    )


CASES: list[tuple[str, str, bytes, int, str, str]] = [
    ("malformed JSON", "/v1/chat", b'{"message": ', 400, "body", "malformed"),
    ("wrong type", "/v1/chat", b'{"message": 42}', 400, "message", "Expected `str`"),
    ("missing field", "/v1/chat", b"{}", 400, "message", "missing required field"),
    ("unknown field", "/v1/chat", b'{"message": "x", "mesage": "y"}', 400, "mesage", "unknown"),
    ("not an object", "/v1/chat", b"[1, 2]", 400, "body", "Expected `object`"),
    ("empty message", "/v1/chat", b'{"message": "   "}', 422, "message", "empty"),
    ("oversized message", "/v1/chat", b'{"message": "' + b"a" * 101 + b'"}', 422, "message",
     "longer than 100"),
    ("temperature out of range", "/v1/chat", b'{"message": "x", "temperature": 9}', 400,
     "temperature", "<= 2.0"),
    ("unknown model", "/v1/chat", b'{"message": "x", "model": "gpt-99"}', 422, "model",
     "unknown model"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "status", "field", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_bad_input_is_a_problem_naming_the_field(
    chat_client: MakeClient,
    strict_settings: Settings,
    alice: dict[str, str],
    path: str,
    body: bytes,
    status: int,
    field: str,
    reason: str,
) -> None:
    """Each bad body gets its 4xx and a problem+json body naming the field and reason."""
    client = await chat_client(strict_settings)
    headers = {**alice, "content-type": "application/json"}
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["field"] == field
    assert reason.lower() in problem["detail"].lower()


async def test_body_over_the_limit_is_413(
    chat_client: MakeClient, strict_settings: Settings, alice: dict[str, str]
) -> None:
    """A body above the configured size gets 413 problem+json naming the body."""
    client = await chat_client(strict_settings)
    body = b'{"message": "' + b"a" * 5_000 + b'"}'
    response = await client.post(
        "/v1/chat", content=body, headers={**alice, "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "body"


async def test_unknown_conversation_and_bad_cursor(
    chat_client: MakeClient, strict_settings: Settings, alice: dict[str, str]
) -> None:
    """A missing conversation is 404; a malformed cursor and a bad limit are 4xx."""
    client = await chat_client(strict_settings)
    missing = await client.get("/v1/conversations/not-a-uuid", headers=alice)
    assert missing.status_code == 404
    cursor = await client.get("/v1/conversations?cursor=%%%", headers=alice)
    assert 400 <= cursor.status_code < 500
    assert cursor.json()["status"] == cursor.status_code
    limit = await client.get("/v1/conversations?limit=0", headers=alice)
    assert limit.status_code == 400
    assert limit.json()["field"] == "limit"
