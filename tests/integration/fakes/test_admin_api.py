"""The admin API (``/_fake``), ``/metrics`` and start-up faults, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fakes.llm.client import FakeAdmin, FakeAdminError
from lab.net import free_port
from lab.servers import FakeLLMServer

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
AUTH = {"authorization": "Bearer k"}


@pytest.fixture
def admin(fake_openai: FakeLLMServer, fake_faults_reset: None) -> FakeAdmin:
    """An admin client of the session fake, reset after the test."""
    return fake_openai.admin


def test_put_then_get_round_trips(admin: FakeAdmin) -> None:
    """PUT returns the configuration in force and GET shows the same."""
    config = {"errors": {"rate": 0.25, "mix": {"503": 1.0}}, "seed": 3}
    assert admin.set_faults(config) == admin.get_faults()
    assert admin.get_faults()["errors"]["rate"] == 0.25


def test_put_is_idempotent(admin: FakeAdmin) -> None:
    """Putting the same configuration twice leaves the same state."""
    config = {"hang": {"rate": 0.5}}
    assert admin.set_faults(config) == admin.set_faults(config)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"errors": {"rate": 1.5}}, "$.errors.rate"),
        ({"errorz": {}}, "$.errorz"),
        ({"latency": {"ttft": {"dist": "normal", "mean_ms": -1}}}, "$.latency.ttft.mean_ms"),
        ({"models": {"m": {"outage": {"status": 404}}}}, "$.models[...].outage.status"),
        ({"errors": {"rate": 0.1, "mix": {"418": 1}}}, "$.errors"),
    ],
)
def test_invalid_config_names_the_field(
    admin: FakeAdmin, body: dict[str, object], field: str
) -> None:
    """Unknown fields and out-of-range values get a 400 problem+json naming the field."""
    with pytest.raises(FakeAdminError) as caught:
        admin.set_faults(body)
    assert caught.value.status == 400
    assert caught.value.problem["field"] == field


def test_invalid_config_is_problem_json(fake_openai: FakeLLMServer) -> None:
    """The 400 is served as application/problem+json."""
    r = httpx.put(f"{fake_openai.admin_url}/_fake/faults", content=b"{not json")
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"


def test_delete_clears(admin: FakeAdmin, fake_openai: FakeLLMServer) -> None:
    """DELETE removes every fault."""
    admin.set_faults({"outage": {}})
    admin.clear()
    assert admin.get_faults() == {}
    r = httpx.post(f"{fake_openai.base_url}/chat/completions", json=CHAT, headers=AUTH)
    assert r.status_code == 200


def test_metrics_count_outcomes_and_faults(admin: FakeAdmin, fake_openai: FakeLLMServer) -> None:
    """``/metrics`` counts requests by outcome, faults by kind and tokens served."""
    admin.set_faults({"errors": {"rate": 1.0, "mix": {"502": 1}}})
    httpx.post(f"{fake_openai.base_url}/chat/completions", json=CHAT, headers=AUTH)
    text = fake_openai.metrics_text()
    assert 'fake_llm_faults_injected_total{kind="error_502",vendor="openai"}' in text
    assert 'fake_llm_requests_total{outcome="error",vendor="openai"}' in text
    assert 'fake_llm_tokens_total{kind="completion",vendor="openai"}' in text
    assert 'fake_llm_in_flight_requests{vendor="openai"}' in text


def test_missing_key_is_401(fake_openai: FakeLLMServer) -> None:
    """A request without an API key gets OpenAI's 401 body."""
    r = httpx.post(f"{fake_openai.base_url}/chat/completions", json=CHAT)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"


def test_yaml_faults_at_start(tmp_path: Path) -> None:
    """``--faults FILE.yaml`` configures the fake from the start."""
    faults = tmp_path / "faults.yaml"
    faults.write_text("errors:\n  rate: 1.0\n  mix: {529: 1}\n", encoding="utf-8")
    with FakeLLMServer("anthropic", port=free_port(), faults=faults, workdir=tmp_path) as fake:
        assert fake.get_faults() == {"errors": {"rate": 1.0, "mix": {"529": 1.0}}}
        msg = {
            "model": "claude-3-5-haiku-latest",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "x"}],
        }
        r = httpx.post(f"{fake.base_url}/v1/messages", json=msg, headers={"x-api-key": "k"})
    assert r.status_code == 529
    assert r.json()["error"]["type"] == "overloaded_error"
