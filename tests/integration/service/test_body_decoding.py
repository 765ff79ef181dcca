"""Bodies that do not decode (not UTF-8, empty) are 400 problems naming the body, and a
status has one title whatever produced it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from service.settings import Settings
from tests.integration.service.conftest import Client, MakeClient

PATHS = ["/v1/chat", "/v1/chat/completions"]


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
    """A JSON body with a byte that is not UTF-8 gets 400 problem+json on ``body``."""
    response = await client.post(path, content=b'{"message": "\xff"}', headers=json_alice)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["field"], problem["title"]) == ("body", "Bad Request")
    assert "UTF-8" in problem["detail"]


@pytest.mark.parametrize("path", PATHS)
async def test_empty_body_says_it_is_empty(
    client: Client, json_alice: dict[str, str], path: str
) -> None:
    """An empty body gets 400 saying the body is empty, not a KeyError's ``'data'``."""
    response = await client.post(path, content=b"", headers=json_alice)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["field"] == "body"
    assert "empty" in problem["detail"]
    assert "'data'" not in problem["detail"]


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
