"""The proxy's HTTP API under hostile input: deep JSON, silent connections, request ids."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from fakes.toxiproxy import ToxiproxyServer
from tests.fixtures.proxy import ToxiproxyUnderTest

_DEPTH_ERROR = {
    "error": "bad request body: invalid character '[' exceeded max depth",
    "status": 400,
}


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.fixture
async def embedded() -> AsyncIterator[ToxiproxyServer]:
    """Our server in this event loop, so its log records reach ``caplog``."""
    server = ToxiproxyServer(port=0)
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
