"""Redis commands through a proxied port: each toxic does to real traffic what it says."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from lab.faults.toxiproxy import ProxyHandle
from lab.servers import RedisServer
from tests.fixtures.proxy import ToxiproxyUnderTest

Connect = Callable[..., Any]  # a redis.Redis (its generic-ness differs between stubs)
_SLACK = 1.5  # seconds of tolerance above a requested delay on a busy 2-core machine


@pytest.fixture
def redis_proxy(toxiproxy_server: ToxiproxyUnderTest, redis_server: RedisServer) -> ProxyHandle:
    """A proxy in front of the session's redis-server."""
    return toxiproxy_server.client.create(upstream=redis_server.address, name="redis")


@pytest.fixture
def connect(redis_proxy: ProxyHandle) -> Iterator[Connect]:
    """Open single-connection Redis clients through the proxy (closed after the test)."""
    opened: list[Any] = []

    def _open(timeout: float = 5.0) -> Any:
        client = redis.Redis(
            host=redis_proxy.host,
            port=redis_proxy.port,
            socket_timeout=timeout,
            socket_connect_timeout=2.0,
            retry=Retry(NoBackoff(), 0),
            single_connection_client=True,
        )
        opened.append(client)
        return client

    yield _open
    for client in opened:
        client.close()


def _elapsed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def test_commands_pass_through(connect: Connect) -> None:
    """With no toxic, SET/GET/INCR behave as on Redis itself."""
    client = connect()
    client.set("tp:key", "value")
    assert client.get("tp:key") == b"value"
    assert client.incr("tp:counter") >= 1


@pytest.mark.parametrize("stream", ["downstream", "upstream"])
def test_latency_delays_each_reply(redis_proxy: ProxyHandle, connect: Connect, stream: str) -> None:
    """A 300 ms latency toxic makes a GET take at least 300 ms, in either direction."""
    client = connect()
    client.ping()
    redis_proxy.add_toxic(type="latency", stream=stream, attributes={"latency": 300})  # type: ignore[arg-type]
    took = _elapsed(lambda: client.get("tp:key"))
    assert 0.29 <= took < 0.3 + _SLACK


def test_latency_reaches_connections_already_open(
    redis_proxy: ProxyHandle, connect: Connect
) -> None:
    """Latency added after a connection opened slows that connection too."""
    client = connect()
    assert _elapsed(client.ping) < 0.25
    redis_proxy.add_toxic(type="latency", attributes={"latency": 400})
    assert _elapsed(client.ping) >= 0.39


def test_removing_latency_restores_speed(redis_proxy: ProxyHandle, connect: Connect) -> None:
    """Once the latency toxic is removed, the same connection answers promptly again."""
    client = connect()
    redis_proxy.add_toxic(type="latency", attributes={"latency": 1000})
    redis_proxy.destroy_toxic("latency_downstream")
    assert _elapsed(client.ping) < 0.5


def test_timeout_closes_after_the_delay(redis_proxy: ProxyHandle, connect: Connect) -> None:
    """A 300 ms timeout toxic drops the reply and closes the connection after 300 ms."""
    client = connect()
    client.ping()
    redis_proxy.add_toxic(type="timeout", attributes={"timeout": 300})
    start = time.perf_counter()
    with pytest.raises(redis.ConnectionError):
        client.get("tp:key")
    assert 0.25 <= time.perf_counter() - start < 0.3 + _SLACK


def test_timeout_zero_holds_data_without_closing(
    redis_proxy: ProxyHandle, connect: Connect
) -> None:
    """timeout=0 never answers and never closes: the client's own read timeout fires."""
    client = connect(timeout=0.7)
    client.ping()
    redis_proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    with pytest.raises(redis.TimeoutError):
        client.get("tp:key")


def test_reset_peer_resets_the_connection(redis_proxy: ProxyHandle, connect: Connect) -> None:
    """With reset_peer in place, the first reply is replaced by a TCP reset."""
    redis_proxy.add_toxic(type="reset_peer", attributes={"timeout": 0})
    with pytest.raises(redis.ConnectionError) as caught:
        connect().get("tp:key")  # the client connects (and handshakes) eagerly
    assert "reset" in str(caught.value).lower()


def test_disabled_proxy_refuses(redis_proxy: ProxyHandle, connect: Connect) -> None:
    """A disabled proxy refuses connections; enabled again, commands work."""
    redis_proxy.disable()
    with pytest.raises(redis.ConnectionError):
        connect().ping()
    redis_proxy.enable()
    assert connect().ping() is True


def test_disabling_closes_open_connections(redis_proxy: ProxyHandle, connect: Connect) -> None:
    """Disabling a proxy closes the connections that were open through it."""
    client = connect()
    client.ping()
    redis_proxy.disable()
    with pytest.raises(redis.ConnectionError):
        client.ping()


def test_toxicity_zero_never_applies(redis_proxy: ProxyHandle, connect: Connect) -> None:
    """A latency toxic with toxicity 0 leaves every connection fast."""
    redis_proxy.add_toxic(type="latency", toxicity=0.0, attributes={"latency": 1000})
    for _ in range(10):
        assert _elapsed(connect().ping) < 0.5


def test_toxicity_one_always_applies(redis_proxy: ProxyHandle, connect: Connect) -> None:
    """A latency toxic with toxicity 1 slows every connection."""
    redis_proxy.add_toxic(type="latency", toxicity=1.0, attributes={"latency": 200})
    for _ in range(3):
        assert _elapsed(connect().ping) >= 0.19


def test_upstream_down_closes_cleanly(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """With nothing listening upstream, the client's connection closes promptly."""
    proxy = toxiproxy_server.client.create(upstream="127.0.0.1:1", name="nowhere")
    client = redis.Redis(
        host=proxy.host, port=proxy.port, socket_timeout=5.0, retry=Retry(NoBackoff(), 0)
    )
    start = time.perf_counter()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    assert time.perf_counter() - start < 3.0
    client.close()


def test_updating_toxicity_redraws_for_open_connections(
    redis_proxy: ProxyHandle, connect: Connect
) -> None:
    """Raising a toxic's toxicity from 0 to 1 makes it apply to connections already open."""
    client = connect()
    redis_proxy.add_toxic(type="latency", toxicity=0.0, attributes={"latency": 300})
    assert _elapsed(client.ping) < 0.25
    redis_proxy.update_toxic("latency_downstream", toxicity=1.0)
    assert _elapsed(client.ping) >= 0.29
