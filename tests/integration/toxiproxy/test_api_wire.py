"""Toxiproxy's wire details, on every server: Go's JSON decoding and encoding, mux's misses.

Found by running the suite against a real ``toxiproxy-server`` 2.12.0 and comparing answers.
"""

from __future__ import annotations

import http.client
import socket

import httpx
import pytest

from tests.fixtures.proxy import EchoServer, ToxiproxyUnderTest

_PROXY = b'{"name": "w", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}'


def _post(server: ToxiproxyUnderTest, path: str, content: bytes) -> httpx.Response:
    return httpx.post(f"{server.api_url}{path}", content=content)


def test_index_is_sorted_by_name(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """GET /proxies lists proxies by name, as Go marshals a map, not by creation."""
    for name in ("b", "c", "a"):
        toxiproxy_server.client.create(upstream="127.0.0.1:1", name=name)
    data = httpx.get(f"{toxiproxy_server.api_url}/proxies").json()
    assert list(data) == ["a", "b", "c"]


def test_bytes_after_the_body_are_ignored(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """Only the first JSON value of a body counts, as with Go's json.Decoder."""
    response = _post(toxiproxy_server, "/proxies", _PROXY + b" trailing junk")
    assert response.status_code == 201
    assert response.json()["name"] == "w"


def test_null_body_sets_no_field(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """A null proxy body is an empty one: 400 for the missing name."""
    response = _post(toxiproxy_server, "/proxies", b"null")
    assert response.json() == {"error": "missing required field: name", "status": 400}


def test_keys_match_fields_case_insensitively(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """Keys "Name" and "UPSTREAM" set name and upstream, as Go matches struct fields."""
    body = b'{"Name": "ci", "Listen": "127.0.0.1:0", "UPSTREAM": "127.0.0.1:1"}'
    response = _post(toxiproxy_server, "/proxies", body)
    assert response.status_code == 201
    assert (response.json()["name"], response.json()["upstream"]) == ("ci", "127.0.0.1:1")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "EOF"),
        (b'{"name": "tru', "unexpected EOF"),
        (b"tru", "unexpected EOF"),
        (b"x", "invalid character 'x' looking for beginning of value"),
        (b"{nope", "invalid character 'n' looking for beginning of object key string"),
        (b'{"name" 1}', "invalid character '1' after object key"),
        (b'{"name": "a" 2}', "invalid character '2' after object key:value pair"),
        (b'{"name": "a",}', "invalid character '}' looking for beginning of object key string"),
    ],
)
def test_syntax_errors_read_like_go(
    toxiproxy_server: ToxiproxyUnderTest, body: bytes, message: str
) -> None:
    """A malformed body answers 400 with Go's json error text."""
    response = _post(toxiproxy_server, "/proxies", body)
    assert response.json() == {"error": f"bad request body: {message}", "status": 400}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/proxies",
            b'{"name": 5, "upstream": "127.0.0.1:1"}',
            "number into Go struct field Proxy.name of type string",
        ),
        ("/proxies", b"[1]", "array into Go value of type toxiproxy.Proxy"),
        (
            "/proxies/tp/toxics",
            b'{"type": "latency", "name": "l2", "attributes": {"latency": 1.5}}',
            "number 1.5 into Go struct field LatencyToxic.attributes.latency of type int64",
        ),
        (
            "/proxies/tp/toxics",
            b'{"type": "latency", "toxicity": "high"}',
            "string into Go struct field ToxicWrapper.toxicity of type float32",
        ),
        (
            "/proxies/tp/toxics/latency_downstream",
            b'{"toxicity": true}',
            "bool into Go struct field .toxicity of type float32",
        ),
    ],
)
def test_type_errors_read_like_go(
    toxiproxy_server: ToxiproxyUnderTest, path: str, body: bytes, message: str
) -> None:
    """A value of the wrong kind answers 400 with Go's unmarshal type error."""
    proxy = toxiproxy_server.client.create(upstream="127.0.0.1:1", name="tp")
    proxy.add_toxic(type="latency")
    response = _post(toxiproxy_server, path, body)
    expected = f"bad request body: json: cannot unmarshal {message}"
    assert response.json() == {"error": expected, "status": 400}


def test_taken_toxic_name_wins_over_bad_attributes(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """A toxic whose name is taken is a 409 before its attributes are read."""
    toxiproxy_server.client.create(upstream="127.0.0.1:1", name="o").add_toxic(type="latency")
    body = b'{"type": "latency", "attributes": {"latency": "soon"}}'
    response = _post(toxiproxy_server, "/proxies/o/toxics", body)
    assert response.json() == {"error": "toxic already exists", "status": 409}


def test_null_toxic_update_keeps_the_toxic(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """Updating a toxic with a null body answers 200 and changes nothing."""
    proxy = toxiproxy_server.client.create(upstream="127.0.0.1:1", name="n")
    proxy.add_toxic(type="latency", attributes={"latency": 7})
    response = _post(toxiproxy_server, "/proxies/n/toxics/latency_downstream", b"null")
    assert response.status_code == 200
    assert response.json()["attributes"] == {"latency": 7, "jitter": 0}


def test_populate_errors_are_json_with_proxies(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """/populate answers errors as application/json with "proxies": null."""
    response = _post(toxiproxy_server, "/populate", b'[{"name": "x"}]')
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": "missing required field: upstream at proxy 1",
        "status": 400,
        "proxies": None,
    }


def test_populate_failure_lists_what_it_made(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """A listen failure midway answers 500 with the proxies made before it (kept)."""
    spec = (
        b'[{"name": "ok", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"},'
        b' {"name": "bad", "listen": "nope", "upstream": "127.0.0.1:1"}]'
    )
    response = _post(toxiproxy_server, "/populate", spec)
    assert response.status_code == 500
    data = response.json()
    assert data["error"] == "listen tcp: address nope: missing port in address"
    assert [p["name"] for p in data["proxies"]] == ["ok"]
    assert list(toxiproxy_server.client.proxies()) == ["ok"]


def test_populate_null_makes_nothing(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """/populate with a null body answers 201 {"proxies": null}."""
    response = _post(toxiproxy_server, "/populate", b"null")
    assert (response.status_code, response.json()) == (201, {"proxies": None})


def test_noop_toxic_passes_traffic(
    toxiproxy_server: ToxiproxyUnderTest, echo_server: EchoServer
) -> None:
    """Toxiproxy's "noop" toxic is accepted (no attributes) and leaves data alone."""
    proxy = toxiproxy_server.client.create(upstream=echo_server.address, name="noop")
    response = _post(toxiproxy_server, "/proxies/noop/toxics", b'{"type": "noop"}')
    assert response.json() == {
        "attributes": {},
        "name": "noop_downstream",
        "type": "noop",
        "stream": "downstream",
        "toxicity": 1,
    }
    with socket.create_connection((proxy.host, proxy.port), timeout=2) as conn:
        conn.sendall(b"noop")
        assert conn.recv(4) == b"noop"


def test_unrouted_requests_get_bare_404_and_405(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """An unknown path is mux's plain 404 (even for browsers); a wrong method an empty 405."""
    missing = httpx.get(f"{toxiproxy_server.api_url}/nope", headers={"User-Agent": "Mozilla/5"})
    assert (missing.status_code, missing.text) == (404, "404 page not found\n")
    wrong = httpx.put(f"{toxiproxy_server.api_url}/proxies")
    assert (wrong.status_code, wrong.content) == (405, b"")


def test_names_are_encoded_like_go(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """<, > and & are \\u-escaped and other non-ASCII text is sent as UTF-8."""
    body = '{"name": "a<b>&ü", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}'
    response = _post(toxiproxy_server, "/proxies", body.encode())
    assert '"name":"a\\u003cb\\u003e\\u0026ü"' in response.text


def test_bad_listen_address_is_a_listen_error(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """A listen address without a port answers 500 with Go's listen error."""
    body = b'{"name": "l", "listen": "nope", "upstream": "127.0.0.1:1"}'
    response = _post(toxiproxy_server, "/proxies", body)
    assert response.json() == {
        "error": "listen tcp: address nope: missing port in address",
        "status": 500,
    }


def test_lone_surrogate_in_a_name_is_replaced(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """A name with a lone \\ud800 escape is created with U+FFFD in its place."""
    body = b'{"name": "s\\ud800", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}'
    response = _post(toxiproxy_server, "/proxies", body)
    assert (response.status_code, response.json()["name"]) == (201, "s\ufffd")


def test_unclean_paths_redirect_to_the_clean_one(toxiproxy_server: ToxiproxyUnderTest) -> None:
    """A path with // or .. answers mux's 301 to its clean form, query kept."""
    conn = http.client.HTTPConnection(toxiproxy_server.host, toxiproxy_server.port, timeout=5)
    try:
        conn.request("GET", "//proxies/x/../y?a=1")
        response = conn.getresponse()
        assert (response.status, response.getheader("Location")) == (301, "/proxies/y?a=1")
    finally:
        conn.close()
