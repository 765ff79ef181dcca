"""The service's request id travels upstream: every call to a provider (each retry,
failover and hedged attempt, streamed or not, through either vendor's SDK) carries the id
the client got back in ``x-request-id``; a call outside any request carries none.

The fakes do not show the headers they receive, so each provider is reached through a
small recording proxy in front of the real fake: it notes every request's
``x-request-id`` and relays it, answering the first ``fail_first`` chat requests itself
with the vendor's 503 (so the service retries) and holding each chat request ``delay``
seconds before relaying it (so the service hedges). The proxy serves from threads of its
own: the in-process service under Litestar's test client blocks the test's event loop
while it answers.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
import pytest

from lab.servers import FakeLLMServer
from service.adapters.providers import build_provider
from service.domain.types import ChatRequest, Message, Role
from service.settings import Settings
from tests.fixtures.service import ServiceProcess, ServiceUsers, provider_config
from tests.integration.service.conftest import FAST_RETRIES, MODEL, Client, MakeClient, parse_sse

CHAT_PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}
"""The path each vendor's chat call posts to."""

VENDOR_503 = {
    "openai": {"error": {"message": "overloaded", "type": "server_error", "code": None}},
    "anthropic": {"type": "error", "error": {"type": "overloaded_error", "message": "overloaded"}},
}
_NOT_RELAYED = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}


class Recorder(ThreadingHTTPServer):
    """A recording reverse proxy on a free loopback port in front of one fake vendor."""

    daemon_threads = True

    def __init__(self, fake: FakeLLMServer, *, fail_first: int = 0, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.fake = fake
        self.fail_first = fail_first
        self.delay = delay
        self.seen: list[tuple[str, str, str | None]] = []
        """``(method, path, x-request-id or None)`` of every request, in arrival order."""
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """The fake's base URL with this proxy's address."""
        here = f"http://127.0.0.1:{self.server_address[1]}"
        return self.fake.base_url.replace(self.fake.admin_url, here, 1)

    def chat_ids(self) -> list[str | None]:
        """The ``x-request-id`` of every chat call (not model listings), in order."""
        path = CHAT_PATHS[self.fake.vendor]
        with self.lock:
            return [rid for method, p, rid in self.seen if method == "POST" and p == path]


class _Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Recorder

    def do_GET(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def log_message(self, format: str, *args: Any) -> None:  # the base's name
        return None

    def _relay(self) -> None:
        recorder = self.server
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        chat = self.command == "POST" and self.path == CHAT_PATHS[recorder.fake.vendor]
        with recorder.lock:
            recorder.seen.append((self.command, self.path, self.headers.get("x-request-id")))
            fail = chat and recorder.fail_first > 0
            if fail:
                recorder.fail_first -= 1
        if fail:
            error = json.dumps(VENDOR_503[recorder.fake.vendor]).encode()
            self.send_response(503)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(error)))
            self.end_headers()
            self.wfile.write(error)
            return
        if chat:
            time.sleep(recorder.delay)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_RELAYED}
        target = urlsplit(recorder.fake.admin_url)
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            self.send_response(answer.status)
            self.send_header("content-type", answer.getheader("content-type") or "")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            while chunk := answer.read1(65536):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the service gave up on this call (a lost hedge)
        finally:
            upstream.close()


MakeRecorder = Callable[..., Recorder]


@pytest.fixture
def recorder() -> Iterator[MakeRecorder]:
    """``recorder(fake, fail_first=0, delay=0.0)``: a serving recording proxy, shut down
    after the test."""
    started: list[Recorder] = []

    def make(fake: FakeLLMServer, *, fail_first: int = 0, delay: float = 0.0) -> Recorder:
        proxy = Recorder(fake, fail_first=fail_first, delay=delay)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.shutdown()
        proxy.server_close()


@pytest.fixture(params=["openai", "anthropic"])
def vendor_fake(request: pytest.FixtureRequest) -> FakeLLMServer:
    """The session fake of one vendor."""
    fake: FakeLLMServer = request.getfixturevalue(f"fake_{request.param}")
    return fake


async def _client(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    proxies: list[Recorder],
    **flags: Any,
) -> Client:
    """A service over a chain of the given proxies (named after their vendors)."""
    providers = tuple(provider_config(p.fake.vendor, p.fake.vendor, p.base_url) for p in proxies)
    resilience = msgspec.structs.replace(FAST_RETRIES, **flags)
    return await chat_client(make_service_settings(providers=providers, resilience=resilience))


async def _chat(client: Client, headers: dict[str, str], *, stream: bool) -> str:
    """One chat turn, answered in full; the ``x-request-id`` the client got back."""
    body = {"message": "hello", "stream": stream}
    response = await client.post("/v1/chat", json=body, headers=headers)
    assert response.status_code == 200, response.text
    if stream:
        assert parse_sse(response.text)[-1][0] == "done", response.text
    request_id: str = response.headers["x-request-id"]
    assert request_id
    return request_id


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
async def test_each_call_carries_the_id_the_client_got_back(
    vendor_fake: FakeLLMServer,
    recorder: MakeRecorder,
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    alice: dict[str, str],
    stream: bool,
) -> None:
    """One answer, one upstream call, whose x-request-id is the client's response id."""
    proxy = recorder(vendor_fake)
    client = await _client(chat_client, make_service_settings, [proxy])
    request_id = await _chat(client, alice, stream=stream)
    assert proxy.chat_ids() == [request_id]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
async def test_both_attempts_of_a_retried_call_carry_the_id(
    vendor_fake: FakeLLMServer,
    recorder: MakeRecorder,
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    alice: dict[str, str],
    stream: bool,
) -> None:
    """A 503 then an answer: the failed attempt and its retry carry the same id."""
    proxy = recorder(vendor_fake, fail_first=1)
    client = await _client(chat_client, make_service_settings, [proxy])
    request_id = await _chat(client, alice, stream=stream)
    assert proxy.chat_ids() == [request_id, request_id]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
async def test_every_attempt_of_a_failed_over_call_carries_the_id(
    fake_openai: FakeLLMServer,
    fake_anthropic: FakeLLMServer,
    recorder: MakeRecorder,
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    alice: dict[str, str],
    stream: bool,
) -> None:
    """A first provider that keeps failing, then the second one: each attempt at either
    carries the request's id."""
    down = recorder(fake_openai, fail_first=100)
    up = recorder(fake_anthropic)
    client = await _client(chat_client, make_service_settings, [down, up], hedge_after_ms=0)
    request_id = await _chat(client, alice, stream=stream)
    assert len(down.chat_ids()) >= 2
    assert set(down.chat_ids()) == {request_id}
    assert up.chat_ids() == [request_id]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
async def test_both_attempts_of_a_hedged_race_carry_the_id(
    fake_openai: FakeLLMServer,
    fake_anthropic: FakeLLMServer,
    recorder: MakeRecorder,
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    alice: dict[str, str],
    stream: bool,
) -> None:
    """A slow first provider is raced by the second from a task of its own: the lost
    attempt and the winning one both carry the request's id."""
    slow = recorder(fake_openai, delay=3.0)
    fast = recorder(fake_anthropic)
    client = await _client(chat_client, make_service_settings, [slow, fast], hedge_after_ms=100)
    request_id = await _chat(client, alice, stream=stream)
    assert slow.chat_ids() == [request_id]
    assert fast.chat_ids() == [request_id]


async def test_concurrent_requests_each_send_their_own_id(
    fake_openai: FakeLLMServer,
    recorder: MakeRecorder,
    service_process: Callable[..., ServiceProcess],
    service_users: ServiceUsers,
) -> None:
    """A service process answering requests at the same time (its test client would
    serve them one by one) sends each upstream call with its own request's id."""
    proxy = recorder(fake_openai, delay=0.3)
    chain = [msgspec.to_builtins(provider_config("openai", "openai", proxy.base_url))]
    service = service_process(
        {
            "CHAT_API_KEYS": service_users.env(),
            "CHAT_RATE_TIERS": "default=10000/60,tight=3/60",
            "CHAT_PROVIDERS": json.dumps(chain),
        }
    )
    headers = service_users.headers(service_users.alice)
    async with httpx.AsyncClient(base_url=service.url, headers=headers, timeout=20) as client:
        responses = await asyncio.gather(
            *(client.post("/v1/chat", json={"message": f"hi {i}"}) for i in range(6))
        )
    assert [r.status_code for r in responses] == [200] * 6
    ids = sorted(r.headers["x-request-id"] for r in responses)
    assert len(set(ids)) == 6
    assert sorted(i or "" for i in proxy.chat_ids()) == ids


async def test_calls_outside_a_request_send_no_id(
    vendor_fake: FakeLLMServer, recorder: MakeRecorder
) -> None:
    """An adapter used outside any service request (the readiness probe loop, a script)
    sends no x-request-id: not an empty one, none."""
    proxy = recorder(vendor_fake)
    config = provider_config(vendor_fake.vendor, vendor_fake.vendor, proxy.base_url)
    provider = build_provider(config)
    try:
        assert await provider.ping()
        request = ChatRequest(model=MODEL, messages=(Message(Role.USER, "hi"),), max_tokens=8)
        await provider.complete(request, timeout=5)
        events = [e async for e in provider.stream(request, first_token_timeout=5, total_timeout=5)]
        assert events
    finally:
        await provider.aclose()
    assert len(proxy.seen) == 3
    assert [rid for _, _, rid in proxy.seen] == [None, None, None]
