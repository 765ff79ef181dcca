"""Addresses, error bodies, proxy input and the client's typed views of server JSON."""

from __future__ import annotations

import pytest

from fakes.toxiproxy.addresses import format_address, split_address
from fakes.toxiproxy.collection import ProxyInput, parse_proxy_input
from fakes.toxiproxy.errors import MISSING_FIELD, PROXY_NOT_FOUND, ApiError
from lab.faults.toxiproxy import ProxyInfo, ToxicInfo

_NEW = ProxyInput(name="", listen="", upstream="", enabled=True)


def test_error_body_shape() -> None:
    """Errors render as Toxiproxy's {"error": ..., "status": ...}."""
    assert PROXY_NOT_FOUND.to_json() == {"error": "proxy not found", "status": 404}


def test_joined_error_appends_detail() -> None:
    """joined() appends ': detail' and keeps the status, like Go's joinError."""
    error = MISSING_FIELD.joined("name at proxy 2")
    assert (error.message, error.status) == ("missing required field: name at proxy 2", 400)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:80", ("127.0.0.1", 80)), ("[::1]:5", ("::1", 5)), (":9", ("", 9))],
)
def test_split_address(text: str, expected: tuple[str, int]) -> None:
    """host:port splits, IPv6 brackets are removed, an empty host is kept."""
    assert split_address(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("localhost", "address localhost: missing port in address"),
        ("127.0.0.1:nosuchservice", "address tcp/nosuchservice: unknown port"),
        ("1.2.3.4:70000", "address 70000: invalid port"),
        ("1:2:3", "address 1:2:3: too many colons in address"),
    ],
)
def test_bad_address_is_a_500(text: str, message: str) -> None:
    """An address without a valid port fails with Go's message and a 500."""
    with pytest.raises(ApiError) as caught:
        split_address(text)
    assert (caught.value.status, caught.value.message) == (500, message)


def test_port_may_be_a_service_name_or_empty() -> None:
    """Like Go, a port may be a service name (http is 80) or empty (pick one)."""
    assert split_address("127.0.0.1:http") == ("127.0.0.1", 80)
    assert split_address("127.0.0.1:") == ("127.0.0.1", 0)


def test_format_address_brackets_ipv6() -> None:
    """IPv6 hosts print in brackets, IPv4 plainly."""
    assert format_address("::1", 8) == "[::1]:8"
    assert format_address("127.0.0.1", 8) == "127.0.0.1:8"


def test_proxy_input_defaults_enabled() -> None:
    """A new proxy is enabled unless the body says otherwise."""
    spec = parse_proxy_input({"name": "a", "upstream": "h:1"}, defaults=_NEW)
    assert spec == ProxyInput(name="a", listen="", upstream="h:1", enabled=True)


def test_proxy_input_rejects_wrong_types() -> None:
    """A non-boolean enabled is a 400 with Go's type error."""
    with pytest.raises(ApiError) as caught:
        parse_proxy_input({"name": "a", "enabled": "yes"}, defaults=_NEW)
    assert (caught.value.status, caught.value.message) == (
        400,
        "bad request body: json: cannot unmarshal string into Go struct field"
        " Proxy.enabled of type bool",
    )


def test_proxy_input_keys_match_case_insensitively() -> None:
    """Keys match fields regardless of case and null keeps the default, as in Go."""
    spec = parse_proxy_input({"NAME": "a", "Upstream": "h:1", "enabled": None}, defaults=_NEW)
    assert spec == ProxyInput(name="a", listen="", upstream="h:1", enabled=True)


def test_null_proxy_body_changes_nothing() -> None:
    """A null body decodes to the defaults, as Go leaves the struct untouched."""
    assert parse_proxy_input(None, defaults=_NEW) == _NEW


def test_proxy_info_from_server_json() -> None:
    """ProxyInfo reads the server's proxy JSON, toxics included."""
    info = ProxyInfo.from_json(
        {
            "name": "r",
            "listen": "[::]:26379",
            "upstream": "localhost:6379",
            "enabled": True,
            "toxics": [{"name": "t", "type": "timeout", "stream": "upstream", "toxicity": 1,
                        "attributes": {"timeout": 0}}],
        }
    )  # fmt: skip
    assert (info.host, info.port) == ("::1", 26379)
    assert info.toxics == (ToxicInfo("t", "timeout", "upstream", 1.0, {"timeout": 0}),)


def test_wildcard_listen_maps_to_loopback() -> None:
    """A proxy listening on every interface is reached through loopback."""
    info = ProxyInfo.from_json(
        {"name": "a", "listen": "0.0.0.0:1", "upstream": "b:2", "enabled": False}
    )
    assert info.host == "127.0.0.1"
