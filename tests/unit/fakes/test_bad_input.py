"""Bodies that do not decode and paths that do not exist get the vendor's or admin's answer."""

from __future__ import annotations

import json

from fakes.llm.admin import handle_admin
from fakes.llm.anthropic_wire import AnthropicWire
from fakes.llm.engine import FaultEngine
from fakes.llm.openai_wire import OpenAIWire
from fakes.llm.wire import Problem, WireError

# valid JSON structure, but 0xff inside a string is not UTF-8
NOT_UTF8 = b'{"model": "gpt-4o\xff", "messages": [{"role": "user", "content": "hi"}]}'


def test_openai_body_not_utf8_is_a_wire_error() -> None:
    """A chat body with invalid UTF-8 is refused as a bad request naming the body."""
    parsed = OpenAIWire().parse(NOT_UTF8)
    assert isinstance(parsed, WireError)
    assert parsed.message.startswith("Invalid request body: the body is not valid UTF-8")


def test_anthropic_body_not_utf8_is_a_wire_error() -> None:
    """A Messages body with invalid UTF-8 is refused as a bad request naming the body."""
    parsed = AnthropicWire().parse(NOT_UTF8)
    assert isinstance(parsed, WireError)
    assert "not valid UTF-8" in parsed.message


def test_admin_put_not_utf8_is_problem_json() -> None:
    """PUT /_fake/faults with invalid UTF-8 is a 400 problem+json naming the body."""
    engine = FaultEngine(None)
    status, headers, body = handle_admin(
        engine, "PUT", "/_fake/faults", b'{"hang\xff": {}}', vendor="openai"
    )
    assert status == 400
    assert ("content-type", "application/problem+json") in headers
    assert "body is not valid UTF-8" in json.loads(body)["detail"]


def test_admin_405_carries_allow() -> None:
    """A wrong method on an admin endpoint answers 405 with an Allow header."""
    engine = FaultEngine(None)
    status, headers, _ = handle_admin(engine, "GET", "/_fake/reset", b"", vendor="openai")
    assert status == 405
    assert ("allow", "POST") in headers
    status, headers, _ = handle_admin(engine, "POST", "/_fake/faults", b"", vendor="openai")
    assert ("allow", "GET, PUT, DELETE") in headers


def test_openai_not_found_body() -> None:
    """OpenAI's 404 is an invalid_request_error with code unknown_url, not a server_error."""
    body = json.loads(OpenAIWire().error(Problem(404, "not_found", detail="Invalid URL (GET /x)")))
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] == "unknown_url"
    assert body["error"]["message"] == "Invalid URL (GET /x)"


def test_openai_method_not_allowed_body() -> None:
    """OpenAI's 405 is an invalid_request_error, not a server_error."""
    body = json.loads(OpenAIWire().error(Problem(405, "not_allowed", detail="use POST")))
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"] == "use POST"


def test_anthropic_not_found_body() -> None:
    """Anthropic's 404 is a not_found_error carrying the detail."""
    body = json.loads(AnthropicWire().error(Problem(404, "not_found", detail="Invalid URL")))
    assert body == {
        "type": "error",
        "error": {"type": "not_found_error", "message": "Invalid URL"},
    }


def test_anthropic_method_not_allowed_body() -> None:
    """Anthropic's 405 is an invalid_request_error, not an api_error."""
    body = json.loads(AnthropicWire().error(Problem(405, "not_allowed", detail="use POST")))
    assert body["error"] == {"type": "invalid_request_error", "message": "use POST"}


def test_deeply_nested_body_is_a_wire_error_for_both_vendors() -> None:
    """999 nested '[' in an unknown field is a bad request saying so, not a RecursionError."""
    deep = b"[" * 999 + b"]" * 999
    body = b'{"model": "m", "max_tokens": 5, "x": ' + deep + b', "messages": []}'
    for wire in (OpenAIWire(), AnthropicWire()):
        parsed = wire.parse(body)
        assert isinstance(parsed, WireError)
        assert parsed.message == "Invalid request body: the JSON is nested too deeply"
