"""The lab's client addresses proxies and toxics whose names need escaping in a URL."""

from __future__ import annotations

import pytest

from tests.fixtures.proxy import EchoServer, ToxiproxyUnderTest


@pytest.mark.parametrize("name", ["a?b", "a#b", "50%", "two words"])
def test_a_proxy_with_a_url_special_name_round_trips(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer, name: str
) -> None:
    """get_proxy, add_toxic, toxics, destroy_toxic and destroy reach a proxy named ``name``."""
    client = toxiproxy_server.client
    client.create(upstream=echo_server.address, name=name)
    proxy = client.get_proxy(name)
    assert proxy is not None
    assert proxy.name == name
    proxy.add_toxic(type="latency", name=f"{name} toxic", attributes={"latency": 1})
    assert set(proxy.toxics()) == {f"{name} toxic"}
    assert proxy.destroy_toxic(f"{name} toxic") is True
    assert client.destroy(name) is True
    assert name not in client.proxies()
