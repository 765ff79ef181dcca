"""The unwrapped toxiproxy-python 0.1.1 client drives every server the same way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import toxiproxy
from toxiproxy.api import APIConsumer

from tests.fixtures.proxy import EchoServer, ToxiproxyUnderTest


@pytest.fixture
def raw_client(toxiproxy_server: ToxiproxyUnderTest) -> Iterator[toxiproxy.Toxiproxy]:
    """toxiproxy-python's own client, pointed at the server (its target is global state)."""
    saved = (APIConsumer.host, APIConsumer.port)
    client = toxiproxy.Toxiproxy()
    client.update_api_consumer(toxiproxy_server.host, toxiproxy_server.port)
    try:
        yield client
    finally:
        APIConsumer.host, APIConsumer.port = saved


def test_proxy_lifecycle(raw_client: toxiproxy.Toxiproxy, echo_server: EchoServer) -> None:
    """create, proxies, disable/enable and destroy work through the library as shipped."""
    proxy = raw_client.create(upstream=echo_server.address, name="raw")
    assert proxy.listen.startswith("127.0.0.1:")
    assert set(raw_client.proxies()) == {"raw"}
    proxy.disable()
    assert raw_client.get_proxy("raw").enabled is False
    proxy.enable()
    assert raw_client.get_proxy("raw").enabled is True
    assert proxy.destroy() is True
    assert raw_client.proxies() == {}


def test_toxic_lifecycle(raw_client: toxiproxy.Toxiproxy, echo_server: EchoServer) -> None:
    """add_toxic, toxics and destroy_toxic round-trip the toxic's fields."""
    proxy = raw_client.create(upstream=echo_server.address, name="raw_toxics")
    proxy.add_toxic(type="latency", stream="upstream", toxicity=0.5, attributes={"latency": 7})
    toxic = proxy.toxics()["latency_upstream"]
    assert (toxic.type, toxic.stream, toxic.toxicity) == ("latency", "upstream", 0.5)
    assert toxic.attributes == {"latency": 7, "jitter": 0}
    assert proxy.destroy_toxic("latency_upstream") is True
    assert proxy.toxics() == {}
    raw_client.destroy(proxy)


def test_library_errors_map_to_its_exceptions(
    raw_client: toxiproxy.Toxiproxy, echo_server: EchoServer
) -> None:
    """Duplicate and unknown names raise the library's ProxyExists and NotFound."""
    proxy = raw_client.create(upstream=echo_server.address, name="raw_errors")
    with pytest.raises(toxiproxy.exceptions.ProxyExists):
        raw_client.create(upstream=echo_server.address, name="raw_errors")
    with pytest.raises(toxiproxy.exceptions.NotFound):
        proxy.destroy_toxic("ghost")
    raw_client.destroy(proxy)


def test_reset_through_the_library(
    raw_client: toxiproxy.Toxiproxy, echo_server: EchoServer
) -> None:
    """reset() re-enables proxies and removes toxics."""
    proxy = raw_client.create(upstream=echo_server.address, name="raw_reset")
    proxy.add_toxic(type="timeout")
    proxy.disable()
    assert raw_client.reset() is True
    assert raw_client.get_proxy("raw_reset").enabled is True
    assert proxy.toxics() == {}
    raw_client.destroy(proxy)
