"""``ProxyHandle.toxic``: the context-manager twin of ``add_toxic``, on every server."""

from __future__ import annotations

import pytest

from tests.fixtures.proxy import EchoServer, ToxiproxyUnderTest


def test_toxic_is_present_inside_the_block_only(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer
) -> None:
    """The toxic exists inside the ``with`` block, with add_toxic's arguments, and not after."""
    proxy = toxiproxy_server.client.create(upstream=echo_server.address, name="block")
    with proxy.toxic(
        type="latency", stream="upstream", toxicity=0.5, attributes={"latency": 7}
    ) as info:
        assert (info.name, info.stream, info.toxicity) == ("latency_upstream", "upstream", 0.5)
        assert proxy.get_toxic("latency_upstream") == info
    assert proxy.toxics() == {}


def test_toxic_is_removed_when_the_block_raises(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer
) -> None:
    """An exception in the block still removes the toxic, and propagates."""
    proxy = toxiproxy_server.client.create(upstream=echo_server.address, name="raises")
    with pytest.raises(RuntimeError, match="boom"), proxy.toxic(type="timeout", name="t"):
        raise RuntimeError("boom")
    assert proxy.toxics() == {}


def test_toxic_takes_exactly_add_toxics_keywords(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer
) -> None:
    """A keyword add_toxic does not take is a TypeError, and nothing is added."""
    proxy = toxiproxy_server.client.create(upstream=echo_server.address, name="typo")
    with pytest.raises(TypeError), proxy.toxic(typ="latency"):  # type: ignore[call-arg]
        pass
    assert proxy.toxics() == {}
