"""Undecodable bodies and unknown paths or methods, over real HTTP, answer in vendor shapes."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest

from lab.servers import FakeLLMServer
from tests.integration.fakes.sdk import sdk_client

AUTH = {"authorization": "Bearer k", "x-api-key": "k"}
NOT_UTF8 = (
    b'{"model": "gpt-4o\xff", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}'
)


def test_openai_invalid_utf8_is_400(fake_openai: FakeLLMServer) -> None:
    """A chat body with invalid UTF-8 is OpenAI's 400 invalid_request_error, not an empty 500."""
    r = httpx.post(f"{fake_openai.base_url}/chat/completions", content=NOT_UTF8, headers=AUTH)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "Invalid request body" in error["message"]


def test_anthropic_invalid_utf8_is_400(fake_anthropic: FakeLLMServer) -> None:
    """A Messages body with invalid UTF-8 is Anthropic's 400 invalid_request_error."""
    r = httpx.post(f"{fake_anthropic.base_url}/v1/messages", content=NOT_UTF8, headers=AUTH)
    assert r.status_code == 400
    assert r.json()["type"] == "error"
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_admin_invalid_utf8_is_problem_json(fake_openai: FakeLLMServer) -> None:
    """PUT /_fake/faults with invalid UTF-8 is a 400 problem+json."""
    r = httpx.put(f"{fake_openai.admin_url}/_fake/faults", content=b'{"hang\xff": {}}')
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert "UTF-8" in r.json()["detail"]


def test_openai_unknown_path_is_sdk_not_found(fake_openai: FakeLLMServer) -> None:
    """The OpenAI SDK reads an unknown path as NotFoundError with code unknown_url."""
    client = sdk_client(openai.OpenAI, fake_openai)
    with pytest.raises(openai.NotFoundError) as caught:
        client.get("/nope", cast_to=httpx.Response)
    assert caught.value.code == "unknown_url"
    assert caught.value.type == "invalid_request_error"


def test_anthropic_unknown_path_is_not_found_error(fake_anthropic: FakeLLMServer) -> None:
    """Anthropic's unknown path is a 404 not_found_error."""
    client = sdk_client(anthropic.Anthropic, fake_anthropic)
    with pytest.raises(anthropic.NotFoundError) as caught:
        client.get("/v1/nope", cast_to=httpx.Response)
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "not_found_error", "message": "Invalid URL (GET /v1/nope)"},
    }


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("GET", "/v1/chat/completions", "POST"), ("POST", "/v1/models", "GET")],
)
def test_openai_wrong_method_is_405_with_allow(
    fake_openai: FakeLLMServer, method: str, path: str, allow: str
) -> None:
    """A known vendor path with another method is a 405 invalid_request_error with Allow."""
    r = httpx.request(method, f"{fake_openai.admin_url}{path}", headers=AUTH)
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_anthropic_wrong_method_is_405(fake_anthropic: FakeLLMServer) -> None:
    """GET /v1/messages is Anthropic's 405 error body with Allow: POST."""
    r = httpx.get(f"{fake_anthropic.admin_url}/v1/messages", headers=AUTH)
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_admin_wrong_method_has_allow(fake_openai: FakeLLMServer) -> None:
    """An admin 405 carries the Allow header."""
    r = httpx.get(f"{fake_openai.admin_url}/_fake/reset")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"


def _deep_chat(model: str) -> bytes:
    """A valid chat body whose unknown ``junk`` field holds 999 nested '[' (2 KB)."""
    deep = b"[" * 999 + b"]" * 999
    return (
        b'{"model": "' + model.encode() + b'", "max_tokens": 5, "junk": ' + deep + b","
        b' "messages": [{"role": "user", "content": "hi"}]}'
    )


def test_openai_deep_json_is_400(fake_openai: FakeLLMServer) -> None:
    """999 nested '[' is OpenAI's 400 invalid_request_error naming the nesting, no traceback."""
    r = httpx.post(
        f"{fake_openai.base_url}/chat/completions", content=_deep_chat("gpt-4o-mini"), headers=AUTH
    )
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Invalid request body: the JSON is nested too deeply",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert "Traceback" not in fake_openai.log_tail(200)


def test_anthropic_deep_json_is_400(fake_anthropic: FakeLLMServer) -> None:
    """999 nested '[' is Anthropic's 400 invalid_request_error, no traceback."""
    body = _deep_chat("claude-3-5-haiku-latest")
    r = httpx.post(f"{fake_anthropic.base_url}/v1/messages", content=body, headers=AUTH)
    assert r.status_code == 400
    assert r.json() == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "Invalid request body: the JSON is nested too deeply",
        },
    }
    assert "Traceback" not in fake_anthropic.log_tail(200)


def test_admin_deep_json_is_problem_json(fake_openai: FakeLLMServer) -> None:
    """PUT /_fake/faults with 999 nested '[' is a 400 problem+json."""
    r = httpx.put(f"{fake_openai.admin_url}/_fake/faults", content=b"[" * 999 + b"]" * 999)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
