"""The OpenAPI document describes the errors the service really sends: problem+json."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.settings import Settings

ROUTES = [
    ("/v1/chat", "post", {400, 401, 404, 413, 422, 429, 502, 503}),
    ("/v1/conversations", "get", {400, 401, 429, 503}),
    ("/v1/conversations/{conversation_id}", "get", {400, 401, 404, 429, 503}),
    ("/v1/conversations/{conversation_id}", "delete", {400, 401, 404, 429, 503}),
]


@pytest.fixture
async def openapi() -> dict[str, Any]:
    """The service's OpenAPI document as served at ``/docs/openapi.json``."""
    async with AsyncTestClient(create_app(Settings())) as client:
        response = await client.get("/docs/openapi.json")
        assert response.status_code == 200
        document: dict[str, Any] = response.json()
        return document


def test_problem_schema_is_documented(openapi: dict[str, Any]) -> None:
    """The Problem schema lists the RFC 9457 members and the field errors."""
    problem = openapi["components"]["schemas"]["Problem"]
    assert {"title", "status", "detail", "type", "field", "errors"} <= set(problem["properties"])
    assert set(problem["required"]) == {"title", "status", "detail"}


@pytest.mark.parametrize(("path", "method", "statuses"), ROUTES)
def test_each_route_lists_its_problem_statuses(
    openapi: dict[str, Any], path: str, method: str, statuses: set[int]
) -> None:
    """Each route documents its real error statuses as problem+json, not Litestar's 400."""
    responses = openapi["paths"][path][method]["responses"]
    errors = {int(code) for code in responses if int(code) >= 400}
    assert errors == statuses
    for code in statuses:
        content = responses[str(code)]["content"]
        assert list(content) == ["application/problem+json"]
        assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


def test_completions_lists_openai_errors(openapi: dict[str, Any]) -> None:
    """The OpenAI-compatible route documents OpenAI's statuses and error body, no 422."""
    responses = openapi["paths"]["/v1/chat/completions"]["post"]["responses"]
    errors = {int(code) for code in responses if int(code) >= 400}
    assert errors == {400, 401, 404, 413, 429, 502, 503}
    for code in errors:
        content = responses[str(code)]["content"]
        assert list(content) == ["application/json"]
        assert content["application/json"]["schema"]["$ref"].endswith("/OpenAIError")
    body = openapi["components"]["schemas"]["OpenAIErrorBody"]
    assert set(body["properties"]) == {"message", "type", "param", "code"}


@pytest.mark.parametrize("schema", ["ChatIn", "CompletionsIn"])
def test_temperature_range_is_documented(openapi: dict[str, Any], schema: str) -> None:
    """``temperature`` shows both ends of the range the service enforces, 0 and 2."""
    temperature = openapi["components"]["schemas"][schema]["properties"]["temperature"]
    assert (temperature["minimum"], temperature["maximum"]) == (0.0, 2.0)
