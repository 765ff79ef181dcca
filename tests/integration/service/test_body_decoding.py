"""Bodies that do not decode (not UTF-8, empty) are 400 problems naming the body, and a
status has one title whatever produced it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from service.settings import Settings
from tests.integration.service.conftest import Client, MakeClient

PATHS = ["/v1/chat", "/v1/chat/completions"]


def _body_error(response: httpx.Response) -> tuple[str | None, str]:
    """The field and reason of a body error: problem+json on the service's own routes,
    OpenAI's ``error`` (``param`` None for the whole body) on the completions route."""
    body = response.json()
    if "error" in body:
        assert response.headers["content-type"] == "application/json"
        return body["error"]["param"], body["error"]["message"]
    assert response.headers["content-type"] == "application/problem+json"
    assert body["title"] == "Bad Request"
    return body["field"], body["detail"]


@pytest.fixture
async def client(chat_client: MakeClient, openai_settings: Callable[..., Settings]) -> Client:
    """A client over the fake OpenAI as the only provider."""
    return await chat_client(openai_settings())


@pytest.fixture
def json_alice(alice: dict[str, str]) -> dict[str, str]:
    """Alice's headers, saying the body is JSON."""
    return {**alice, "content-type": "application/json"}


@pytest.mark.parametrize("path", PATHS)
async def test_invalid_utf8_is_a_400_naming_the_body(
    client: Client, json_alice: dict[str, str], path: str
) -> None:
    """A JSON body with a byte that is not UTF-8 gets 400 naming the body."""
    response = await client.post(path, content=b'{"message": "\xff"}', headers=json_alice)
    assert response.status_code == 400, response.text
    field, reason = _body_error(response)
    assert field in ("body", None)
    assert "UTF-8" in reason


@pytest.mark.parametrize("path", PATHS)
async def test_empty_body_says_it_is_empty(
    client: Client, json_alice: dict[str, str], path: str
) -> None:
    """An empty body gets 400 saying the body is empty, not a KeyError's ``'data'``."""
    response = await client.post(path, content=b"", headers=json_alice)
    assert response.status_code == 400, response.text
    field, reason = _body_error(response)
    assert field in ("body", None)
    assert "empty" in reason
    assert "'data'" not in reason


async def test_each_status_has_one_title(
    client: Client, alice: dict[str, str], json_alice: dict[str, str]
) -> None:
    """Malformed JSON, a wrong type and a bad query are all ``Bad Request``; the domain's
    refusals are all ``Unprocessable Content``."""
    bad = [
        await client.post("/v1/chat", content=b'{"message": ', headers=json_alice),
        await client.post("/v1/chat", content=b'{"message": 1}', headers=json_alice),
        await client.get("/v1/conversations?limit=0", headers=alice),
    ]
    unprocessable = [
        await client.post("/v1/chat", content=b'{"message": " "}', headers=json_alice),
        await client.post(
            "/v1/chat", content=b'{"message": "x", "model": "no"}', headers=json_alice
        ),
    ]
    assert {(r.status_code, r.json()["title"]) for r in bad} == {(400, "Bad Request")}
    assert {(r.status_code, r.json()["title"]) for r in unprocessable} == {
        (422, "Unprocessable Content")
    }
