"""HTTP and raw TCP through a proxied port: bandwidth, slicer, limit_data, slow_close and more."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from lab.faults.toxiproxy import ProxyHandle
from tests.fixtures.proxy import EchoServer, HttpUpstream, ToxiproxyUnderTest

_SLACK = 1.5


@pytest.fixture
def http_proxy(toxiproxy_server: ToxiproxyUnderTest, http_upstream: HttpUpstream) -> ProxyHandle:
    """A proxy in front of the HTTP upstream."""
    return toxiproxy_server.client.create(upstream=http_upstream.address, name="http")


@pytest.fixture
def echo_proxy(toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer) -> ProxyHandle:
    """A proxy in front of the TCP echo server."""
    return toxiproxy_server.client.create(upstream=echo_server.address, name="echo")


def _url(proxy: ProxyHandle, path: str) -> str:
    return f"http://{proxy.host}:{proxy.port}{path}"


def _read_until_eof(conn: socket.socket) -> bytes:
    received = bytearray()
    while chunk := conn.recv(65536):
        received += chunk
    return bytes(received)


def test_http_passes_through(http_proxy: ProxyHandle) -> None:
    """With no toxic, an HTTP GET through the proxy gets the upstream's answer."""
    response = httpx.get(_url(http_proxy, "/bytes/1000"), timeout=5)
    assert response.status_code == 200
    assert response.content == b"x" * 1000


def test_http_latency(http_proxy: ProxyHandle) -> None:
    """A 250 ms downstream latency makes an HTTP GET take at least 250 ms."""
    http_proxy.add_toxic(type="latency", attributes={"latency": 250})
    start = time.perf_counter()
    assert httpx.get(_url(http_proxy, "/"), timeout=5).status_code == 200
    assert 0.24 <= time.perf_counter() - start < 0.25 + _SLACK


def test_bandwidth_caps_throughput(http_proxy: ProxyHandle) -> None:
    """At 100 KB/s, 150 kB of body takes about 1.5 s instead of milliseconds."""
    http_proxy.add_toxic(type="bandwidth", attributes={"rate": 100})
    start = time.perf_counter()
    response = httpx.get(_url(http_proxy, "/bytes/150000"), timeout=15)
    took = time.perf_counter() - start
    assert len(response.content) == 150_000
    assert 1.2 <= took < 1.5 + 3 * _SLACK


def test_disabled_http_proxy_refuses(http_proxy: ProxyHandle) -> None:
    """An HTTP client cannot connect through a disabled proxy."""
    http_proxy.disable()
    with pytest.raises(httpx.ConnectError):
        httpx.get(_url(http_proxy, "/"), timeout=2)


def test_http_timeout_ends_without_response(http_proxy: ProxyHandle) -> None:
    """A 300 ms timeout toxic ends the request with a closed connection and no response."""
    http_proxy.add_toxic(type="timeout", attributes={"timeout": 300})
    with pytest.raises(httpx.TransportError):
        httpx.get(_url(http_proxy, "/"), timeout=5)


def test_slow_close_delays_the_close(http_proxy: ProxyHandle) -> None:
    """slow_close passes data at once but holds the upstream's close for its delay."""
    http_proxy.add_toxic(type="slow_close", attributes={"delay": 600})
    with socket.create_connection((http_proxy.host, http_proxy.port), timeout=5) as conn:
        start = time.perf_counter()
        conn.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        first = conn.recv(65536)
        got_data = time.perf_counter() - start
        rest = _read_until_eof(conn)
        closed = time.perf_counter() - start
    assert (first + rest).endswith(b"ok")
    assert got_data < 0.5
    assert 0.55 <= closed < 0.6 + _SLACK


def test_slicer_splits_and_delays(echo_proxy: ProxyHandle) -> None:
    """slicer delivers the data intact, in several pieces spread by its delay."""
    echo_proxy.add_toxic(
        type="slicer", attributes={"average_size": 100, "size_variation": 0, "delay": 20_000}
    )
    payload = bytes(range(256)) * 8  # 2048 bytes -> about 20 slices of ~100 bytes
    with socket.create_connection((echo_proxy.host, echo_proxy.port), timeout=5) as conn:
        start = time.perf_counter()
        conn.sendall(payload)
        received = bytearray()
        reads = 0
        while len(received) < len(payload):
            received += conn.recv(65536)
            reads += 1
        took = time.perf_counter() - start
    assert bytes(received) == payload
    assert reads > 1
    assert took >= 0.2


def test_limit_data_closes_after_the_limit(echo_proxy: ProxyHandle) -> None:
    """limit_data passes exactly its byte budget, then closes the connection."""
    echo_proxy.add_toxic(type="limit_data", attributes={"bytes": 100})
    with socket.create_connection((echo_proxy.host, echo_proxy.port), timeout=5) as conn:
        conn.sendall(b"a" * 300)
        received = _read_until_eof(conn)
    assert received == b"a" * 100


def test_reset_peer_after_timeout(echo_proxy: ProxyHandle) -> None:
    """reset_peer with a 300 ms timeout resets the connection about 300 ms after data."""
    echo_proxy.add_toxic(type="reset_peer", stream="upstream", attributes={"timeout": 300})
    with socket.create_connection((echo_proxy.host, echo_proxy.port), timeout=5) as conn:
        start = time.perf_counter()
        conn.sendall(b"ping")
        with pytest.raises(ConnectionResetError):
            _read_until_eof(conn)
        took = time.perf_counter() - start
    assert 0.25 <= took < 0.3 + _SLACK


def test_toxic_stays_on_its_proxy(
    toxiproxy_server: ToxiproxyUnderTest, echo_proxy: ProxyHandle, echo_server: EchoServer
) -> None:
    """A toxic on one proxy leaves another proxy to the same upstream untouched."""
    other = toxiproxy_server.client.create(upstream=echo_server.address, name="echo2")
    echo_proxy.add_toxic(type="limit_data", attributes={"bytes": 1})
    with socket.create_connection((other.host, other.port), timeout=5) as conn:
        conn.sendall(b"0123456789")
        received = b""
        while len(received) < 10:
            received += conn.recv(64)
    assert received == b"0123456789"


def test_removing_timeout_closes_held_connections(echo_proxy: ProxyHandle) -> None:
    """Removing a timeout toxic closes the connections it was holding, as Toxiproxy does."""
    with socket.create_connection((echo_proxy.host, echo_proxy.port), timeout=5) as conn:
        conn.sendall(b"hi")
        assert conn.recv(2) == b"hi"
        echo_proxy.add_toxic(type="timeout", stream="upstream", attributes={"timeout": 0})
        echo_proxy.destroy_toxic("timeout_upstream")
        conn.settimeout(3)
        assert conn.recv(10) == b""


def test_updating_latency_releases_held_data(echo_proxy: ProxyHandle) -> None:
    """Updating a latency toxic lets the data it holds through at once, as Toxiproxy does."""
    echo_proxy.add_toxic(type="latency", attributes={"latency": 10_000})
    with socket.create_connection((echo_proxy.host, echo_proxy.port), timeout=5) as conn:
        conn.sendall(b"held")
        time.sleep(0.2)
        echo_proxy.update_toxic("latency_downstream", attributes={"latency": 0})
        assert conn.recv(4) == b"held"  # well before the 10 s the old latency asked for


def test_fractional_toxicity_applies_to_some_connections(echo_proxy: ProxyHandle) -> None:
    """With toxicity 0.5, some connections get the latency and others do not."""
    echo_proxy.add_toxic(type="latency", attributes={"latency": 600}, toxicity=0.5)

    def round_trip(_: int) -> float:
        with socket.create_connection((echo_proxy.host, echo_proxy.port), timeout=5) as conn:
            started = time.monotonic()
            conn.sendall(b"?")
            conn.recv(1)
            return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=20) as pool:
        elapsed = list(pool.map(round_trip, range(60)))
    slowed = sum(seconds > 0.3 for seconds in elapsed)
    assert 9 <= slowed <= 51  # binomial(60, 0.5): outside this is > 5 standard deviations
