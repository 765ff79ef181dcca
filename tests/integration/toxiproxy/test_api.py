"""Toxiproxy's HTTP API: shapes, defaults, status codes and error bodies, on every server."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from lab.faults.toxiproxy import BadRequest, Conflict, NotFound, ServerError
from tests.fixtures.proxy import EchoServer, ToxiproxyUnderTest


def _refused(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def test_create_answers_201_with_the_proxy(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """POST /proxies answers 201 and the proxy's fields, enabled, with no toxics."""
    body = {"name": "p", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}
    response = httpx.post(f"{toxiproxy_server.api_url}/proxies", json=body)
    assert response.status_code == 201
    data = response.json()
    # Toxiproxy also leaks an empty "Logger": {} (see the README's differences).
    assert set(data) - {"Logger"} == {"name", "listen", "upstream", "enabled", "toxics"}
    assert (data["name"], data["upstream"], data["enabled"], data["toxics"]) == (
        "p", "127.0.0.1:1", True, [],
    )  # fmt: skip
    assert data["listen"].startswith("127.0.0.1:")
    assert not data["listen"].endswith(":0")


def test_duplicate_proxy_is_409(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """Creating a proxy whose name exists answers 409 with Toxiproxy's error body."""
    toxiproxy_server.client.create(upstream="127.0.0.1:1", name="dup")
    response = httpx.post(
        f"{toxiproxy_server.api_url}/proxies",
        json={"name": "dup", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"},
    )
    assert response.status_code == 409
    assert response.json() == {"error": "proxy already exists", "status": 409}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"upstream": "127.0.0.1:1"}, "missing required field: name"),
        ({"name": "x"}, "missing required field: upstream"),
    ],
)
def test_missing_field_is_400(
    toxiproxy_server: ToxiproxyUnderTest, body: dict[str, str], message: str
) -> None:
    """A proxy without name or upstream answers 400 naming the field."""
    response = httpx.post(f"{toxiproxy_server.api_url}/proxies", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": message, "status": 400}


def test_malformed_json_is_400(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """A body that is not JSON answers 400 'bad request body'."""
    response = httpx.post(f"{toxiproxy_server.api_url}/proxies", content=b"{nope")
    assert response.status_code == 400
    assert response.json()["error"].startswith("bad request body")


def test_unknown_proxy_is_404(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """GET of an unknown proxy answers 404 with Toxiproxy's error body."""
    response = httpx.get(f"{toxiproxy_server.api_url}/proxies/ghost")
    assert response.status_code == 404
    assert response.json() == {"error": "proxy not found", "status": 404}


def test_client_raises_typed_errors(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """The wrapper turns 404/409/400 into NotFound/Conflict/BadRequest."""
    client = toxiproxy_server.client
    proxy = client.create(upstream="127.0.0.1:1", name="typed")
    with pytest.raises(Conflict):
        client.create(upstream="127.0.0.1:1", name="typed")
    with pytest.raises(NotFound):
        proxy.destroy_toxic("ghost")
    with pytest.raises(BadRequest):
        proxy.add_toxic(type="no_such_toxic")


def test_listen_in_use_is_a_server_error(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """Listening on a taken address fails with a 500 naming the bind error."""
    taken = toxiproxy_server.client.create(upstream="127.0.0.1:1", name="first")
    with pytest.raises(ServerError) as caught:
        toxiproxy_server.client.create(upstream="127.0.0.1:1", name="second", listen=taken.listen)
    assert caught.value.status == 500
    assert "address already in use" in caught.value.message


def test_index_lists_proxies_by_name(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """GET /proxies maps each name to its proxy, toxics included."""
    proxy = toxiproxy_server.client.create(upstream="127.0.0.1:1", name="listed")
    proxy.add_toxic(type="latency", attributes={"latency": 5})
    data = httpx.get(f"{toxiproxy_server.api_url}/proxies").json()
    assert list(data) == ["listed"]
    assert [t["name"] for t in data["listed"]["toxics"]] == ["latency_downstream"]


def test_toxic_defaults(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """A toxic defaults to downstream, toxicity 1, name <type>_<stream>, all attributes 0."""
    toxiproxy_server.client.create(upstream="127.0.0.1:1", name="d")
    response = httpx.post(
        f"{toxiproxy_server.api_url}/proxies/d/toxics",
        json={"type": "latency", "attributes": {"latency": 10}},
    )
    assert response.status_code == 200
    assert response.json() == {
        "attributes": {"latency": 10, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1,
    }


def test_toxic_errors(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """Bad stream and bad type are 400, a taken name 409, an unknown toxic 404."""
    toxiproxy_server.client.create(upstream="127.0.0.1:1", name="e")
    url = f"{toxiproxy_server.api_url}/proxies/e/toxics"
    bad_stream = httpx.post(url, json={"type": "latency", "stream": "sideways"})
    assert bad_stream.status_code == 400
    assert bad_stream.json()["error"] == "stream was invalid, can be either upstream or downstream"
    bad_type = httpx.post(url, json={"type": "nope"})
    assert bad_type.json() == {"error": "invalid toxic type", "status": 400}
    assert httpx.post(url, json={"type": "timeout"}).status_code == 200
    again = httpx.post(url, json={"type": "timeout"})
    assert again.json() == {"error": "toxic already exists", "status": 409}
    missing = httpx.get(f"{url}/ghost")
    assert missing.json() == {"error": "toxic not found", "status": 404}


def test_toxic_update_changes_only_given_fields(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """Updating a toxic changes the given attributes and toxicity, keeping the rest."""
    proxy = toxiproxy_server.client.create(upstream="127.0.0.1:1", name="u")
    proxy.add_toxic(type="latency", attributes={"latency": 100, "jitter": 5})
    updated = proxy.update_toxic("latency_downstream", attributes={"latency": 200})
    assert dict(updated.attributes) == {"latency": 200, "jitter": 5}
    assert updated.toxicity == 1.0
    again = proxy.update_toxic("latency_downstream", toxicity=0.5)
    assert again.toxicity == 0.5
    assert dict(again.attributes) == {"latency": 200, "jitter": 5}


def test_toxic_delete_is_204(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """DELETE of a toxic answers 204 and the toxic is gone."""
    proxy = toxiproxy_server.client.create(upstream="127.0.0.1:1", name="t")
    proxy.add_toxic(type="bandwidth", stream="upstream", attributes={"rate": 1})
    response = httpx.delete(f"{toxiproxy_server.api_url}/proxies/t/toxics/bandwidth_upstream")
    assert response.status_code == 204
    assert proxy.toxics() == {}


def test_delete_proxy_stops_listening(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """DELETE of a proxy answers 204, then 404, and its port refuses connections."""
    proxy = toxiproxy_server.client.create(upstream="127.0.0.1:1", name="gone")
    url = f"{toxiproxy_server.api_url}/proxies/gone"
    assert httpx.delete(url).status_code == 204
    assert httpx.delete(url).status_code == 404
    assert _refused(proxy.host, proxy.port)


def test_disable_refuses_and_enable_accepts(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer
) -> None:
    """enabled=false stops listening; enabled=true listens again on the same address."""
    proxy = toxiproxy_server.client.create(upstream=echo_server.address, name="onoff")
    proxy.disable()
    assert proxy.info.enabled is False
    assert _refused(proxy.host, proxy.port)
    proxy.enable()
    with socket.create_connection((proxy.host, proxy.port), timeout=2) as conn:
        conn.sendall(b"hi")
        assert conn.recv(2) == b"hi"


def test_populate_creates_and_is_idempotent(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer
) -> None:
    """/populate answers 201 {"proxies": [...]}; repeating it keeps proxies and toxics."""
    spec = [{"name": "pop", "listen": "127.0.0.1:0", "upstream": echo_server.address}]
    first = httpx.post(f"{toxiproxy_server.api_url}/populate", json=spec)
    assert first.status_code == 201
    listen = first.json()["proxies"][0]["listen"]
    proxy = toxiproxy_server.client.get_proxy("pop")
    assert proxy is not None
    proxy.add_toxic(type="latency", attributes={"latency": 1})
    same = [{"name": "pop", "listen": listen, "upstream": echo_server.address}]
    second = httpx.post(f"{toxiproxy_server.api_url}/populate", json=same)
    assert second.status_code == 201
    [kept] = second.json()["proxies"]
    assert kept["listen"] == listen
    assert [t["name"] for t in kept["toxics"]] == ["latency_downstream"]


def test_populate_replaces_a_differing_proxy(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer
) -> None:
    """/populate replaces a proxy whose upstream changed (its toxics go with it)."""
    client = toxiproxy_server.client
    [proxy] = client.populate([{"name": "r", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}])
    proxy.add_toxic(type="latency")
    [new] = client.populate(
        [{"name": "r", "listen": proxy.listen, "upstream": echo_server.address}]
    )
    assert new.upstream == echo_server.address
    assert new.info.toxics == ()


def test_populate_validates_before_creating(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """/populate with a nameless proxy answers 400 naming its position and creates nothing."""
    spec = [
        {"name": "ok", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"},
        {"listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"},
    ]
    response = httpx.post(f"{toxiproxy_server.api_url}/populate", json=spec)
    assert response.status_code == 400
    assert response.json()["error"] == "missing required field: name at proxy 2"
    assert toxiproxy_server.client.proxies() == {}


def test_reset_enables_all_and_removes_toxics(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """POST /reset answers 204, re-enables disabled proxies and drops every toxic."""
    client = toxiproxy_server.client
    proxy = client.create(upstream="127.0.0.1:1", name="rs")
    proxy.add_toxic(type="latency")
    proxy.disable()
    response = httpx.post(f"{toxiproxy_server.api_url}/reset")
    assert response.status_code == 204
    info = proxy.refresh()
    assert info.enabled is True
    assert info.toxics == ()


def test_version_is_a_json_string(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """GET /version answers {"version": "..."} and the client returns the string."""
    data = httpx.get(f"{toxiproxy_server.api_url}/version").json()
    assert isinstance(data["version"], str)
    assert toxiproxy_server.client.version() == data["version"]


def test_browsers_are_refused(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """A Mozilla user agent gets 403, as Toxiproxy guards against drive-by requests."""
    response = httpx.get(
        f"{toxiproxy_server.api_url}/proxies", headers={"User-Agent": "Mozilla/5.0"}
    )
    assert response.status_code == 403


def test_metrics_count_bytes_per_direction(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer
) -> None:
    """/metrics reports received and sent bytes with direction and proxy labels."""
    proxy = toxiproxy_server.client.create(upstream=echo_server.address, name="m")
    with socket.create_connection((proxy.host, proxy.port), timeout=2) as conn:
        conn.sendall(b"12345")
        assert conn.recv(5) == b"12345"
    text = ""
    for _ in range(50):
        text = toxiproxy_server.client.metrics()
        if 'toxiproxy_proxy_sent_bytes_total{direction="downstream"' in text:
            break
        time.sleep(0.05)
    assert 'toxiproxy_proxy_received_bytes_total{direction="upstream"' in text
    assert 'proxy="m"' in text


def test_update_upstream_takes_effect(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer
) -> None:
    """Changing a proxy's upstream restarts it towards the new address, still enabled."""
    proxy = toxiproxy_server.client.create(upstream="127.0.0.1:1", name="moved")
    info = proxy.update(upstream=echo_server.address)
    assert (info.upstream, info.enabled) == (echo_server.address, True)
    with socket.create_connection((info.host, info.port), timeout=2) as conn:
        conn.sendall(b"moved")
        assert conn.recv(5) == b"moved"


def test_unknown_toxic_update_is_404(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """Updating a toxic that does not exist answers 404."""
    toxiproxy_server.client.create(upstream="127.0.0.1:1", name="nt")
    response = httpx.post(
        f"{toxiproxy_server.api_url}/proxies/nt/toxics/ghost", json={"toxicity": 0.5}
    )
    assert response.json() == {"error": "toxic not found", "status": 404}
