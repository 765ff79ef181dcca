"""The fault API takes the stack's token: without it (or with another) a request is refused
with a vendor-neutral 401 problem and changes nothing; the vendor API and health stay open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fakes.llm.client import FakeAdmin, FakeAdminError
from lab.servers import FakeLLMServer

TOKEN = "stack-token-for-the-test"


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeLLMServer]:
    workdir: Path = tmp_path_factory.mktemp("fake-token")
    with FakeLLMServer("openai", seed=1, workdir=workdir, admin_token=TOKEN) as server:
        yield server


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/_fake/faults"), ("PUT", "/_fake/faults"), ("DELETE", "/_fake/faults"),
     ("POST", "/_fake/reset")],
)  # fmt: skip
@pytest.mark.parametrize("headers", [{}, {"x-chaoslab-token": "not-the-token"}])
def test_the_fault_api_refuses_a_request_without_the_token(
    fake: FakeLLMServer, method: str, path: str, headers: dict[str, str]
) -> None:
    """No token or a wrong one: 401, a problem+json body naming the header, no change."""
    body = {"outage": {"mode": "status", "status": 503}} if method == "PUT" else None
    response = httpx.request(method, f"{fake.admin_url}{path}", json=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 401
    assert "x-chaoslab-token" in problem["detail"]
    with FakeAdmin(fake.admin_url, token=TOKEN) as admin:
        assert "outage" not in admin.get_faults()


def test_the_token_opens_the_fault_api_and_health_and_chat_stay_open(
    fake: FakeLLMServer,
) -> None:
    """With the token the API works; health and the vendor's chat need none."""
    with FakeAdmin(fake.admin_url, token=TOKEN) as admin:
        admin.set_faults({"outage": {"mode": "status", "status": 503}})
        assert "outage" in admin.get_faults()
        admin.clear()
    with FakeAdmin(fake.admin_url) as anonymous, pytest.raises(FakeAdminError) as refused:
        anonymous.get_faults()
    assert refused.value.status == 401
    assert httpx.get(f"{fake.admin_url}/_fake/health").status_code == 200
    chat = httpx.post(
        f"{fake.base_url}/chat/completions",
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": "Bearer sk-anything"},
    )
    assert chat.status_code == 200
