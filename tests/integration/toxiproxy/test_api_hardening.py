"""The proxy's HTTP API under hostile input: deep JSON, silent connections, request ids."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from fakes.toxiproxy import ToxiproxyServer
from tests.fixtures.proxy import EchoServer, ToxiproxyUnderTest

_IDLE_S = 1.0
# generous: a loaded 2-core machine may be slow to run the timer and to notice the close
_CLOSED_WITHIN_S = 15.0

_DEPTH_ERROR = {
    "error": "bad request body: invalid character '[' exceeded max depth",
    "status": 400,
}


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.fixture
async def embedded() -> AsyncIterator[ToxiproxyServer]:
    """Our server in this event loop, so its log records reach ``caplog``."""
    server = ToxiproxyServer(port=0, idle_timeout_s=_IDLE_S)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def test_nesting_past_go_limit_is_400_on_every_server(
    toxiproxy_server: ToxiproxyUnderTest,
) -> None:
    """10 001 nested '[' (past Go's limit too) is the same 400 on ours and on Toxiproxy."""
    response = httpx.post(f"{toxiproxy_server.api_url}/proxies", content=_nested(10_001))
    assert response.status_code == 400
    assert response.json() == _DEPTH_ERROR


@pytest.mark.parametrize(
    "path", ["/proxies", "/populate", "/proxies/p/toxics", "/proxies/p/toxics/t", "/proxies/p"]
)
async def test_deep_json_is_a_clean_400_without_traceback(
    embedded: ToxiproxyServer, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    """999 nested '[' in 2 KB is Toxiproxy's 400 on each route reading a body; nothing logged."""
    body = {"name": "p", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}
    async with httpx.AsyncClient(base_url=embedded.api_url) as api:
        assert (await api.post("/proxies", json=body)).status_code == 201
        toxic = {"name": "t", "type": "latency", "attributes": {"latency": 1}}
        assert (await api.post("/proxies/p/toxics", json=toxic)).status_code == 200
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            response = await api.post(path, content=b'{"name": "x", "junk": ' + _nested(999) + b"}")
    assert response.status_code == 400
    error = response.json()
    assert error["error"] == _DEPTH_ERROR["error"]
    assert error["status"] == 400
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def _closed_after(reader: asyncio.StreamReader) -> float:
    """Seconds until the server closes the connection (reads everything it sends)."""
    started = time.monotonic()
    async with asyncio.timeout(_CLOSED_WITHIN_S):
        while await reader.read(65536):
            pass
    return time.monotonic() - started


async def test_silent_api_connections_are_closed(embedded: ToxiproxyServer) -> None:
    """40 connections that never send a byte are all closed after the idle timeout."""
    opened = [await asyncio.open_connection(embedded.host, embedded.port) for _ in range(40)]
    try:
        waits = await asyncio.gather(*(_closed_after(reader) for reader, _ in opened))
    finally:
        for _, writer in opened:
            writer.close()
    assert all(_IDLE_S * 0.5 <= wait < _CLOSED_WITHIN_S for wait in waits)


async def test_half_sent_request_head_is_closed(embedded: ToxiproxyServer) -> None:
    """A client that stops in the middle of its request head (slowloris) is closed too."""
    reader, writer = await asyncio.open_connection(embedded.host, embedded.port)
    try:
        writer.write(b"GET /version HTTP/1.1\r\nHost: x\r\n")
        await writer.drain()
        assert await _closed_after(reader) < _CLOSED_WITHIN_S
    finally:
        writer.close()


async def test_idle_keep_alive_connection_is_closed(embedded: ToxiproxyServer) -> None:
    """After an answer, a keep-alive connection that stays silent is closed."""
    reader, writer = await asyncio.open_connection(embedded.host, embedded.port)
    try:
        writer.write(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        assert await _closed_after(reader) < _CLOSED_WITHIN_S
    finally:
        writer.close()


async def test_idle_proxied_connections_stay_open(
    embedded: ToxiproxyServer, echo_server: EchoServer
) -> None:
    """A proxied link silent for three API idle timeouts still carries data afterwards."""
    body = {"name": "idle", "listen": "127.0.0.1:0", "upstream": echo_server.address}
    async with httpx.AsyncClient(base_url=embedded.api_url) as api:
        assert (await api.post("/proxies", json=body)).status_code == 201
    host, _, port = embedded.proxy("idle").listen.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        await asyncio.sleep(_IDLE_S * 3)
        writer.write(b"still here")
        await writer.drain()
        async with asyncio.timeout(5):
            assert await reader.readexactly(10) == b"still here"
    finally:
        writer.close()


def test_idle_timeout_must_be_positive() -> None:
    """An idle timeout of 0 or less is refused when the server is built."""
    with pytest.raises(ValueError, match="idle_timeout_s must be more than 0"):
        ToxiproxyServer(idle_timeout_s=0)


_XID = re.compile(r"[0-9a-v]{20}")


def _routes(echo: EchoServer) -> list[tuple[str, str, bytes | None]]:
    """One request per API route (and per outcome: created, 4xx, 403), in an order that works."""
    proxy = b'{"name": "rid", "listen": "127.0.0.1:0", "upstream": "%s"}' % echo.address.encode()
    toxic = b'{"name": "lat", "type": "latency", "attributes": {"latency": 1}}'
    return [
        ("GET", "/version", None),
        ("GET", "/metrics", None),
        ("POST", "/proxies", proxy),
        ("POST", "/proxies", proxy),  # 409: errors carry the id too
        ("GET", "/proxies", None),
        ("POST", "/populate", b"[" + proxy + b"]"),
        ("GET", "/proxies/rid", None),
        ("GET", "/proxies/missing", None),  # 404 from the handler, not from the router
        ("POST", "/proxies/rid", b'{"enabled": true}'),
        ("PATCH", "/proxies/rid", b'{"enabled": true}'),
        ("POST", "/proxies/rid/toxics", toxic),
        ("GET", "/proxies/rid/toxics", None),
        ("GET", "/proxies/rid/toxics/lat", None),
        ("POST", "/proxies/rid/toxics/lat", b'{"attributes": {"latency": 2}}'),
        ("PATCH", "/proxies/rid/toxics/lat", b'{"toxicity": 0.5}'),
        ("DELETE", "/proxies/rid/toxics/lat", None),
        ("POST", "/reset", None),
        ("DELETE", "/proxies/rid", None),
        ("POST", "/proxies", b"{"),  # 400
    ]


def test_every_route_answers_with_a_request_id(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer
) -> None:
    """Each routed answer (2xx, 4xx and a browser's 403) carries a fresh 20-character xid."""
    seen: set[str] = set()
    with httpx.Client(base_url=toxiproxy_server.api_url) as api:
        answers = [
            (path, api.request(method, path, content=body))
            for method, path, body in _routes(echo_server)
        ]
        answers.append(("403", api.get("/proxies", headers={"User-Agent": "Mozilla/5.0"})))
    for what, response in answers:
        request_id = response.headers.get("X-Toxiproxy-Request-Id")
        assert request_id is not None, f"{what} answered {response.status_code} without an id"
        assert _XID.fullmatch(request_id), request_id
        seen.add(request_id)
    assert len(seen) == len(answers)
    assert answers[-1][1].status_code == 403


def test_a_client_request_id_is_not_echoed(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """An id the client sends is not reused: the server makes its own."""
    headers = {"X-Toxiproxy-Request-Id": "c" * 20}
    response = httpx.get(f"{toxiproxy_server.api_url}/version", headers=headers)
    assert response.headers["X-Toxiproxy-Request-Id"] != "c" * 20


def test_unrouted_answers_have_no_request_id(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """mux's own 404, 405 and 301 come before Toxiproxy's middlewares: no request id."""
    api = toxiproxy_server.api_url
    answers = [
        httpx.get(f"{api}/nope"),
        httpx.put(f"{api}/proxies"),
        httpx.get(f"{api}//proxies", follow_redirects=False),
    ]
    assert [r.status_code for r in answers] == [404, 405, 301]
    assert all("X-Toxiproxy-Request-Id" not in r.headers for r in answers)


def test_request_ids_are_xids_of_now() -> None:
    """An id decodes to 12 bytes whose first 4 are the current Unix time, like an xid."""
    from fakes.toxiproxy.request_id import new_request_id

    raw = base64.b32hexdecode(new_request_id().upper() + "====")
    assert len(raw) == 12
    assert abs(int.from_bytes(raw[:4], "big") - time.time()) < 60
