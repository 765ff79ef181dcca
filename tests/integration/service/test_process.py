"""The service as a real process (``python -m service``): the official ``openai`` SDK
pointed at it, and graceful shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import msgspec
import openai
import pytest

from lab.servers import FakeLLMServer
from tests.fixtures.service import ServiceProcess, ServiceUsers
from tests.integration.service.conftest import MODEL, metric_value

StartService = Callable[..., ServiceProcess]


@pytest.fixture
def service_env(
    service_users: ServiceUsers,
    openai_only: tuple[Any, ...],
    clean_redis: str,
    postgres_server: Any,
) -> dict[str, str]:
    """The whole stack by environment: keys, the fake OpenAI, Redis and PostgreSQL."""
    return {
        "CHAT_API_KEYS": service_users.env(),
        "CHAT_RATE_TIERS": "default=10000/60,tight=3/60",
        "CHAT_PROVIDERS": json.dumps([msgspec.to_builtins(p) for p in openai_only]),
        "CHAT_REDIS_URL": clean_redis,
        "CHAT_STORE_URL": postgres_server.dsn,
        "CHAT_RETRY_BASE_DELAY": "0.01",
    }


@pytest.fixture(scope="module")
def shared() -> Iterator[dict[str, Any]]:
    """Holds the module's one long-running service (started on first use)."""
    state: dict[str, Any] = {}
    try:
        yield state
    finally:
        if "service" in state:
            state["service"].stop()
            state["service"].discard_log()


@pytest.fixture
def running(
    shared: dict[str, Any], service_env: dict[str, str], service_users: ServiceUsers
) -> tuple[ServiceProcess, str]:
    """One service process shared by the module's read-only tests, and a key for it."""
    if "service" not in shared:
        shared["service"] = ServiceProcess(service_env).start()
        shared["key"] = service_users.alice
    return shared["service"], shared["key"]


@pytest.fixture
def slow_fake(fake_openai: FakeLLMServer) -> Iterator[FakeLLMServer]:
    """The fake OpenAI answering after 800 ms (reset after the test)."""
    fake_openai.set_faults({"latency": {"ttft": {"dist": "fixed", "ms": 800}}})
    try:
        yield fake_openai
    finally:
        fake_openai.reset()


async def test_official_openai_sdk_gets_completions(running: tuple[ServiceProcess, str]) -> None:
    """The official ``openai`` SDK, pointed at the service, gets a chat completion."""
    service, key = running
    async with openai.AsyncOpenAI(
        base_url=f"{service.url}/v1", api_key=key, max_retries=0
    ) as client:
        completion = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Say hi"}]
        )
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0


async def test_official_openai_sdk_streams_chunks(running: tuple[ServiceProcess, str]) -> None:
    """The SDK's streaming iterator gets role, content chunks and a finish reason."""
    service, key = running
    async with openai.AsyncOpenAI(
        base_url=f"{service.url}/v1", api_key=key, max_retries=0
    ) as client:
        stream = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Stream it"}], stream=True
        )
        chunks = [chunk async for chunk in stream]
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_official_openai_sdk_gets_the_usage_chunk(
    running: tuple[ServiceProcess, str],
) -> None:
    """stream_options.include_usage ends the stream with a usage chunk; every chunk names
    the requested model."""
    service, key = running
    async with openai.AsyncOpenAI(
        base_url=f"{service.url}/v1", api_key=key, max_retries=0
    ) as client:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Count it"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])
    assert {c.model for c in chunks} == {MODEL}


async def test_tools_are_refused_not_ignored(running: tuple[ServiceProcess, str]) -> None:
    """Asking for tools is a 400 naming ``tools`` as its ``param``, not an answer that
    ignored them."""
    service, key = running
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    async with openai.AsyncOpenAI(
        base_url=f"{service.url}/v1", api_key=key, max_retries=0
    ) as client:
        with pytest.raises(openai.BadRequestError) as refused:
            await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "x"}], tools=[tool]
            )
    assert refused.value.param == "tools"
    assert refused.value.type == "invalid_request_error"


async def test_official_openai_sdk_sees_typed_errors(running: tuple[ServiceProcess, str]) -> None:
    """A bad key and an unknown model reach the SDK as its typed errors, with OpenAI's
    codes (``invalid_api_key``, ``model_not_found``)."""
    service, key = running
    async with openai.AsyncOpenAI(
        base_url=f"{service.url}/v1", api_key="wrong", max_retries=0
    ) as client:
        with pytest.raises(openai.AuthenticationError) as unauthenticated:
            await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "x"}]
            )
    assert unauthenticated.value.code == "invalid_api_key"
    async with openai.AsyncOpenAI(
        base_url=f"{service.url}/v1", api_key=key, max_retries=0
    ) as client:
        with pytest.raises(openai.NotFoundError) as unknown:
            await client.chat.completions.create(
                model="gpt-99", messages=[{"role": "user", "content": "x"}]
            )
    assert unknown.value.code == "model_not_found"
    assert "gpt-99" in unknown.value.message


def test_bad_configuration_exits_2_naming_the_variable(
    service_env: dict[str, str],
) -> None:
    """A malformed variable stops the start with one line naming it, exit code 2."""
    process = ServiceProcess({**service_env, "CHAT_RETRY_ATTEMPTS": "many"})
    with pytest.raises(RuntimeError, match="exited 2") as failure:
        process.start(timeout=20)
    process.discard_log()
    assert "CHAT_RETRY_ATTEMPTS" in str(failure.value)


@pytest.mark.usefixtures("slow_fake")
async def test_sigterm_during_a_burst_loses_no_request(
    service_process: StartService, service_env: dict[str, str], service_users: ServiceUsers
) -> None:
    """SIGTERM while 20 requests (and 4 streams) are in flight: all of them finish with
    200, readiness says draining meanwhile, and the process exits 0."""
    env = {**service_env, "CHAT_SHUTDOWN_GRACE_SECONDS": "1.0", "CHAT_DRAIN_SECONDS": "15"}
    service = service_process(env)
    headers = ServiceUsers.headers(service_users.alice)
    body = {"model": MODEL, "messages": [{"role": "user", "content": "drain me"}]}
    async with httpx.AsyncClient(base_url=service.url, timeout=20) as client:

        async def one(stream: bool) -> tuple[int, str]:
            response = await client.post(
                "/v1/chat/completions", json={**body, "stream": stream}, headers=headers
            )
            return response.status_code, response.text

        burst = [asyncio.create_task(one(stream=n % 5 == 0)) for n in range(24)]
        await asyncio.sleep(0.3)  # all 24 are in flight: the fake takes 800 ms
        service.terminate()
        await asyncio.sleep(0.1)
        ready = await client.get("/v1/ready")
        results = await asyncio.gather(*burst)
    assert ready.status_code == 503
    assert ready.json()["status"] == "draining"
    assert [status for status, _ in results] == [200] * 24
    assert all(text.rstrip().endswith("data: [DONE]") for _, text in results[::5])
    assert service.wait(timeout=20) == 0
    log = service.log_text()
    assert '"event":"draining"' in log
    assert '"event":"stopped"' in log
    assert service_users.alice not in log  # no API key in the logs


async def test_metrics_of_the_process_count_requests(running: tuple[ServiceProcess, str]) -> None:
    """``/metrics`` of the running process counts the requests it served."""
    service, key = running
    headers = ServiceUsers.headers(key)
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
        for _ in range(3):
            reply = await client.post("/v1/chat", json={"message": "count me"}, headers=headers)
            assert reply.status_code == 200
        started = time.monotonic()
        text = (await client.get("/metrics")).text
    assert time.monotonic() - started < 5
    assert metric_value(text, "chat_http_requests_total", route="/v1/chat", status="200") >= 3


async def test_one_access_log_line_per_request_without_secrets(
    running: tuple[ServiceProcess, str],
) -> None:
    """A request gives one JSON log line with its id, user, route, status, latency,
    provider, attempts and cache flag, and neither the API key nor the message text."""
    service, key = running
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
        reply = await client.post(
            "/v1/chat",
            json={"message": "the-secret-message-text"},
            headers={**ServiceUsers.headers(key), "x-request-id": "req-log-check-1"},
        )
    assert reply.headers["x-request-id"] == "req-log-check-1"
    await asyncio.sleep(0.5)  # lines are written in batches every 0.1 s
    lines = [
        json.loads(line)
        for line in service.log_text().splitlines()
        if '"request_id":"req-log-check-1"' in line
    ]
    assert len(lines) == 1
    line = lines[0]
    assert line["event"] == "request"
    assert line["route"] == "/v1/chat"
    assert line["status"] == 200
    assert line["user_id"]
    assert line["provider"] == "openai"
    assert line["attempts"] == 1
    assert line["cached"] is False
    assert line["latency_ms"] > 0
    text = service.log_text()
    assert "the-secret-message-text" not in text
    assert key not in text
