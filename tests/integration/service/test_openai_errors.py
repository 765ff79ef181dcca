"""``/v1/chat/completions`` answers errors in OpenAI's dialect: ``{"error": {"message",
"type", "param", "code"}}`` with OpenAI's statuses (400 for every invalid body, never 422),
so the official ``openai`` SDK raises its own classes and reads ``.code`` and ``.param``.
The SDK talks to the app in process, through Litestar's test client (an httpx client)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import pytest

from lab.net import free_port
from lab.servers import FakeLLMServer
from service.settings import ChatLimits, ServerSettings, Settings
from tests.fixtures.service import ServiceUsers, provider_config
from tests.integration.service.conftest import MODEL, Client, MakeClient

USER = [{"role": "user", "content": "x"}]


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


def _sdk(client: Client, key: str) -> openai.AsyncOpenAI:
    """The SDK sending through Litestar's test client (an ``httpx.AsyncClient`` running
    the app and its lifespan on one loop); the test client's fixture closes it."""
    return openai.AsyncOpenAI(
        base_url=f"{str(client.base_url).rstrip('/')}/v1",
        api_key=key,
        max_retries=0,
        http_client=client,
    )


@pytest.fixture
async def sdk(
    chat_client: MakeClient, strict_settings: Settings, service_users: ServiceUsers
) -> openai.AsyncOpenAI:
    """The official SDK with alice's key, over the app with small limits."""
    return _sdk(await chat_client(strict_settings), service_users.alice)


INVALID: list[tuple[str, dict[str, Any], str | None, str]] = [
    ("too many turns", {"messages": USER * 5}, "messages", "too many turns"),
    ("no messages", {"messages": []}, "messages", "at least one"),
    ("bad role", {"messages": [{"role": "tool", "content": "x"}]}, "messages[0].role",
     "unsupported role"),
    ("empty content", {"messages": [{"role": "user", "content": ""}]}, "messages[0].content",
     "empty"),
    ("n above one", {"messages": USER, "n": 2}, "n", "n=1"),
    ("temperature out of range", {"messages": USER, "temperature": 9}, "temperature", "<= 2.0"),
    ("tools", {"messages": USER, "tools": [{"type": "function", "function": {"name": "f"}}]},
     "tools", "not supported"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "param", "reason"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
async def test_invalid_bodies_are_400_with_their_param(
    sdk: openai.AsyncOpenAI, body: dict[str, Any], param: str | None, reason: str
) -> None:
    """Every invalid body raises ``BadRequestError`` (400), its ``param`` naming the field."""
    with pytest.raises(openai.BadRequestError) as refused:
        await sdk.chat.completions.create(model=MODEL, **body)
    error = refused.value
    assert error.status_code == 400
    assert error.type == "invalid_request_error"
    assert error.param == param
    assert reason.lower() in error.message.lower()


async def test_unknown_model_is_404_model_not_found(sdk: openai.AsyncOpenAI) -> None:
    """An unknown model raises ``NotFoundError`` with ``code`` ``model_not_found``."""
    with pytest.raises(openai.NotFoundError) as unknown:
        await sdk.chat.completions.create(model="gpt-99", messages=USER)  # type: ignore[arg-type]
    assert unknown.value.code == "model_not_found"
    assert "gpt-99" in unknown.value.message


async def test_bad_key_is_401_invalid_api_key(
    chat_client: MakeClient, strict_settings: Settings
) -> None:
    """An unknown key raises ``AuthenticationError`` with ``code`` ``invalid_api_key``."""
    client = _sdk(await chat_client(strict_settings), "sk-wrong")
    with pytest.raises(openai.AuthenticationError) as refused:
        await client.chat.completions.create(model=MODEL, messages=USER)  # type: ignore[arg-type]
    assert refused.value.code == "invalid_api_key"
    assert refused.value.param is None


async def test_over_the_rate_limit_is_429_rate_limit_exceeded(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    openai_only: tuple[Any, ...],
    clean_redis: str,
    service_users: ServiceUsers,
) -> None:
    """The 4th request of a 3-a-minute key raises ``RateLimitError``, ``rate_limit_exceeded``,
    with ``Retry-After``."""
    settings = make_service_settings(providers=openai_only, redis_url=clean_redis)
    client = _sdk(await chat_client(settings), service_users.tight)
    for n in range(3):
        await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": f"n{n}"}],
            temperature=0.7,
        )
    with pytest.raises(openai.RateLimitError) as limited:
        await client.chat.completions.create(model=MODEL, messages=USER)  # type: ignore[arg-type]
    assert limited.value.code == "rate_limit_exceeded"
    assert limited.value.type == "requests"
    assert int(limited.value.response.headers["retry-after"]) >= 1


async def test_providers_down_is_a_5xx_server_error(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    service_users: ServiceUsers,
) -> None:
    """Every provider unreachable raises ``InternalServerError`` (503), ``server_error``."""
    dead = provider_config("openai", "openai", f"http://127.0.0.1:{free_port()}/v1")
    settings = make_service_settings(providers=(dead,))
    client = _sdk(await chat_client(settings), service_users.alice)
    with pytest.raises(openai.InternalServerError) as failed:
        await client.chat.completions.create(model=MODEL, messages=USER)  # type: ignore[arg-type]
    assert failed.value.status_code == 503
    assert failed.value.type == "server_error"
    assert failed.value.param is None


async def test_malformed_json_and_oversized_bodies_speak_openai(
    chat_client: MakeClient, strict_settings: Settings, alice: dict[str, str]
) -> None:
    """Bodies the SDK would never send (malformed JSON, over the size limit) get OpenAI's
    error shape too, 400 and 413, as ``application/json``."""
    client = await chat_client(strict_settings)
    headers = {**alice, "content-type": "application/json"}
    malformed = await client.post("/v1/chat/completions", content=b'{"model": ', headers=headers)
    oversized = await client.post(
        "/v1/chat/completions", content=b'{"model": "' + b"m" * 5_000 + b'"}', headers=headers
    )
    assert (malformed.status_code, oversized.status_code) == (400, 413)
    for response in (malformed, oversized):
        assert response.headers["content-type"] == "application/json"
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert error["type"] == "invalid_request_error"
    assert "malformed" in malformed.json()["error"]["message"]
    assert oversized.json()["error"]["code"] == "request_too_large"


async def test_service_routes_keep_problem_json(
    chat_client: MakeClient, strict_settings: Settings, alice: dict[str, str]
) -> None:
    """The service's own ``/v1/chat`` still answers problem+json (422 for refused input)."""
    client = await chat_client(strict_settings)
    response = await client.post("/v1/chat", json={"message": " "}, headers=alice)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "message"


async def test_a_stream_cut_midway_ends_with_an_openai_error_event(
    chat_client: MakeClient,
    openai_settings: Callable[..., Settings],
    fake_openai: FakeLLMServer,
    service_users: ServiceUsers,
) -> None:
    """A provider failing after the first chunk ends the stream with OpenAI's error body
    as an event (no ``[DONE]``): the SDK's iterator raises ``APIError`` carrying it."""
    client = _sdk(await chat_client(openai_settings()), service_users.alice)
    fake_openai.set_faults({"stream": {"rate": 1.0, "mix": {"close": 1.0}, "after_tokens": 2}})
    try:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=USER,  # type: ignore[arg-type]
            stream=True,
            temperature=0.7,
        )
        with pytest.raises(openai.APIError) as cut:
            async for _ in stream:
                pass
    finally:
        fake_openai.reset()
    body = cut.value.body
    assert isinstance(body, dict)
    assert set(body) == {"message", "type", "param", "code"}
    assert body["type"] == "server_error"
