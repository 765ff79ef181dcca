"""The fakes serve the models they list; another model is the vendor's own 404."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from fakes.llm.app import default_models
from lab.servers import FakeLLMServer
from tests.integration.fakes.sdk import sdk_client

USER = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def narrow_openai() -> Iterator[FakeLLMServer]:
    """A fake OpenAI that serves only ``only-this``."""
    fake = FakeLLMServer("openai", models=["only-this"]).start()
    try:
        yield fake
    finally:
        fake.stop()


def test_openai_sdk_raises_not_found_with_openais_error(fake_openai: FakeLLMServer) -> None:
    """An unknown model is OpenAI's 404: NotFoundError, model_not_found, its exact message."""
    client = sdk_client(openai.OpenAI, fake_openai)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-99", messages=USER)  # type: ignore[arg-type]
    error = caught.value
    assert error.status_code == 404
    assert error.body == {
        "message": "The model `gpt-99` does not exist or you do not have access to it.",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }
    assert error.response.headers["x-request-id"].startswith("chatcmpl-fake")


def test_openai_stream_of_unknown_model_is_404(fake_openai: FakeLLMServer) -> None:
    """A streamed request for an unknown model is the same 404, before any event."""
    client = sdk_client(openai.OpenAI, fake_openai)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-99", messages=USER, stream=True)  # type: ignore[arg-type]
    assert caught.value.code == "model_not_found"


def test_anthropic_sdk_raises_not_found_with_anthropics_error(
    fake_anthropic: FakeLLMServer,
) -> None:
    """An unknown model is Anthropic's 404: NotFoundError, not_found_error, 'model: NAME'."""
    client = sdk_client(anthropic.Anthropic, fake_anthropic)
    with pytest.raises(anthropic.NotFoundError) as caught:
        client.messages.create(model="claude-x", max_tokens=5, messages=USER)  # type: ignore[arg-type]
    assert caught.value.status_code == 404
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "not_found_error", "message": "model: claude-x"},
    }


def test_missing_key_is_401_before_the_model_check(fake_openai: FakeLLMServer) -> None:
    """Without an API key an unknown model is still the 401, as the vendors check auth first."""
    body = {"model": "gpt-99", "messages": USER}
    r = httpx.post(f"{fake_openai.base_url}/chat/completions", json=body)
    assert r.status_code == 401


def test_unknown_model_is_counted_as_rejected(fake_openai: FakeLLMServer) -> None:
    """The 404 counts as outcome 'rejected' and fault kind 'unknown_model' in /metrics."""
    before = fake_openai.metrics_text()
    sdk = sdk_client(openai.OpenAI, fake_openai)
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="gpt-99", messages=USER)  # type: ignore[arg-type]
    after = fake_openai.metrics_text()
    line = 'fake_llm_faults_injected_total{kind="unknown_model",vendor="openai"}'
    assert line in after
    assert _value(after, line) == _value(before, line) + 1


def _value(text: str, series: str) -> float:
    for row in text.splitlines():
        if row.startswith(series + " "):
            return float(row.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.parametrize("vendor", ["openai", "anthropic"])
def test_every_default_model_is_listed_and_served(
    vendor: str, fake_openai: FakeLLMServer, fake_anthropic: FakeLLMServer
) -> None:
    """GET /v1/models lists exactly the default models, and each one answers 200."""
    fake = fake_openai if vendor == "openai" else fake_anthropic
    listed = [m["id"] for m in httpx.get(f"{fake.admin_url}/v1/models").json()["data"]]
    assert listed == list(default_models(fake.vendor))
    headers = {"authorization": "Bearer k", "x-api-key": "k"}
    path = "/v1/chat/completions" if vendor == "openai" else "/v1/messages"
    for model in listed:
        body = {"model": model, "max_tokens": 5, "messages": USER}
        assert httpx.post(f"{fake.admin_url}{path}", json=body, headers=headers).status_code == 200


def test_configured_models_replace_the_defaults(narrow_openai: FakeLLMServer) -> None:
    """FakeLLMServer(models=[...]) serves and lists those names only."""
    client = sdk_client(openai.OpenAI, narrow_openai)
    assert [m.id for m in client.models.list()] == ["only-this"]
    assert client.chat.completions.create(model="only-this", messages=USER)  # type: ignore[arg-type]
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)  # type: ignore[arg-type]


def test_star_serves_any_model() -> None:
    """'*' in the list serves any model name; /v1/models shows the names beside it."""
    with FakeLLMServer("anthropic", models=["claude-listed", "*"]) as fake:
        client = sdk_client(anthropic.Anthropic, fake)
        assert [m.id for m in client.models.list()] == ["claude-listed"]
        message = client.messages.create(model="whatever-1", max_tokens=5, messages=USER)  # type: ignore[arg-type]
        assert message.model == "whatever-1"


def test_openai_sdk_retrieves_a_served_model_and_not_another(fake_openai: FakeLLMServer) -> None:
    """models.retrieve answers a listed model and raises NotFoundError for another."""
    client = sdk_client(openai.OpenAI, fake_openai)
    assert client.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-99")
    assert caught.value.code == "model_not_found"


def test_anthropic_sdk_retrieves_a_served_model_and_not_another(
    fake_anthropic: FakeLLMServer,
) -> None:
    """models.retrieve answers a listed model and raises NotFoundError 'model: NAME' for another."""
    client = sdk_client(anthropic.Anthropic, fake_anthropic)
    assert client.models.retrieve("claude-3-5-haiku-latest").id == "claude-3-5-haiku-latest"
    with pytest.raises(anthropic.NotFoundError) as caught:
        client.models.retrieve("claude-x")
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "not_found_error", "message": "model: claude-x"},
    }
