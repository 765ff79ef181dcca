"""Our server in-process: no leaked links under churn, a responsive API under load."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from fakes.toxiproxy import ToxiproxyServer
from fakes.toxiproxy.proxy import Proxy


@pytest.fixture
async def embedded() -> AsyncIterator[ToxiproxyServer]:
    """Our Toxiproxy server on a free loopback port, in this event loop."""
    server = ToxiproxyServer(port=0, seed=7)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def echo_address() -> AsyncIterator[str]:
    """An asyncio TCP echo server; its connections are closed at teardown."""
    writers: set[asyncio.StreamWriter] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writers.discard(writer)
            writer.transport.abort()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.close()
        for writer in list(writers):
            writer.transport.abort()
        await asyncio.sleep(0.05)


async def _create(server: ToxiproxyServer, name: str, upstream: str) -> Proxy:
    async with httpx.AsyncClient(base_url=server.api_url) as api:
        body = {"name": name, "listen": "127.0.0.1:0", "upstream": upstream}
        response = await api.post("/proxies", json=body)
        assert response.status_code == 201
    return server.proxy(name)


async def _settled(proxy: Proxy, *, within: float = 10.0) -> int:
    deadline = time.monotonic() + within
    while proxy.link_count and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a counter
        await asyncio.sleep(0.05)
    return proxy.link_count


def _address(proxy: Proxy) -> tuple[str, int]:
    host, _, port = proxy.listen.rpartition(":")
    return host, int(port)


def _open_sockets() -> int:
    """Sockets this process holds open (Linux ``/proc``)."""
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd).startswith("socket:")
    return count


def _hard_close(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def test_churn_leaves_no_links(embedded: ToxiproxyServer, echo_address: str) -> None:
    """A thousand connections opening, echoing and closing leave no link behind."""
    proxy = await _create(embedded, "churn", echo_address)
    host, port = _address(proxy)

    async def one(i: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        payload = str(i).encode()
        writer.write(payload)
        assert await reader.readexactly(len(payload)) == payload
        writer.close()
        await writer.wait_closed()

    for batch in range(10):
        await asyncio.gather(*(one(batch * 100 + i) for i in range(100)))
    assert await _settled(proxy) == 0


async def test_abrupt_disconnects_leak_nothing(
    embedded: ToxiproxyServer, echo_address: str
) -> None:
    """Clients resetting mid-transfer through toxics leave no link, task or socket behind."""
    proxy = await _create(embedded, "abrupt", echo_address)
    baseline = len(asyncio.all_tasks())
    sockets = _open_sockets()
    proxy.add_toxic({"type": "latency", "attributes": {"latency": 200}})
    proxy.add_toxic({"type": "bandwidth", "stream": "upstream", "attributes": {"rate": 500}})
    host, port = _address(proxy)
    writers = []
    for _ in range(50):
        _, writer = await asyncio.open_connection(host, port)
        writer.write(b"z" * 256_000)
        writers.append(writer)
    await asyncio.sleep(0.3)
    assert proxy.link_count == 50
    for writer in writers:
        _hard_close(writer)
    assert await _settled(proxy) == 0
    await asyncio.sleep(0.1)
    assert len(asyncio.all_tasks()) <= baseline
    assert _open_sockets() <= sockets


async def test_api_responsive_under_load(embedded: ToxiproxyServer, echo_address: str) -> None:
    """With 200 connections moving data, toxic add/remove calls still answer quickly."""
    proxy = await _create(embedded, "load", echo_address)
    host, port = _address(proxy)
    stop = asyncio.Event()
    moved = [0]

    async def pump() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for _ in range(2000):  # bounded; the stop event normally ends it first
                if stop.is_set():
                    break
                writer.write(b"d" * 4096)
                moved[0] += len(await reader.readexactly(4096))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()

    pumps = [asyncio.create_task(pump()) for _ in range(200)]
    await asyncio.sleep(0.5)
    slowest = 0.0
    async with httpx.AsyncClient(base_url=embedded.api_url, timeout=10) as api:
        for i in range(20):
            start = time.perf_counter()
            added = await api.post(
                "/proxies/load/toxics",
                json={"type": "latency", "name": f"l{i}", "attributes": {"latency": 50}},
            )
            removed = await api.delete(f"/proxies/load/toxics/l{i}")
            slowest = max(slowest, time.perf_counter() - start)
            assert (added.status_code, removed.status_code) == (200, 204)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*pumps), timeout=30)
    assert moved[0] > 0
    assert slowest < 2.0
    assert await _settled(proxy) == 0


async def test_disable_closes_live_links(embedded: ToxiproxyServer, echo_address: str) -> None:
    """Disabling a proxy ends every open connection and leaves no link."""
    proxy = await _create(embedded, "off", echo_address)
    host, port = _address(proxy)
    conns = [await asyncio.open_connection(host, port) for _ in range(20)]
    await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=embedded.api_url) as api:
        response = await api.post("/proxies/off", json={"enabled": False})
        assert response.json()["enabled"] is False
    for reader, writer in conns:
        assert await asyncio.wait_for(reader.read(10), timeout=2) == b""
        writer.transport.abort()
    assert proxy.link_count == 0


async def test_upstream_down_gives_clean_eof(embedded: ToxiproxyServer) -> None:
    """With the upstream down, the client reads a clean end of stream, not a hang."""
    proxy = await _create(embedded, "down", "127.0.0.1:1")
    reader, writer = await asyncio.open_connection(*_address(proxy))
    assert await asyncio.wait_for(reader.read(10), timeout=3) == b""
    writer.close()
    assert await _settled(proxy) == 0


async def test_toxicity_zero_is_never_in_the_path(
    embedded: ToxiproxyServer, echo_address: str
) -> None:
    """A toxicity-0 timeout toxic neither drops data nor, when removed, closes connections."""
    proxy = await _create(embedded, "zero", echo_address)
    proxy.add_toxic({"type": "timeout", "toxicity": 0, "attributes": {"timeout": 0}})
    host, port = _address(proxy)
    conns = [await asyncio.open_connection(host, port) for _ in range(30)]
    for reader, writer in conns:
        writer.write(b"abc")
        assert await asyncio.wait_for(reader.readexactly(3), timeout=2) == b"abc"
    proxy.remove_toxic("timeout_downstream")
    for reader, writer in conns:
        writer.write(b"def")
        assert await asyncio.wait_for(reader.readexactly(3), timeout=2) == b"def"
        writer.transport.abort()


async def test_proxies_bind_loopback_by_default(embedded: ToxiproxyServer) -> None:
    """The API and a proxy created without a listen address are on 127.0.0.1."""
    assert embedded.host == "127.0.0.1"
    async with httpx.AsyncClient(base_url=embedded.api_url) as api:
        response = await api.post("/proxies", json={"name": "lo", "upstream": "127.0.0.1:1"})
    assert response.json()["listen"].startswith("127.0.0.1:")
