"""``host:port`` strings as Toxiproxy reads and prints them (``127.0.0.1:8080``, ``[::1]:8080``)."""

from __future__ import annotations

import asyncio
import functools
import socket
from typing import Final

from fakes.toxiproxy.errors import ApiError

__all__ = ["format_address", "resolve", "split_address"]


def _port(text: str) -> int:
    """A port number or service name (``http``) as Go's resolver reads it."""
    if not text:
        return 0
    if text.isdigit():
        port = int(text)
        if port > 65535:
            raise ApiError(f"address {text}: invalid port", 500)
        return port
    try:
        return socket.getservbyname(text, "tcp")
    except OSError:
        raise ApiError(f"address tcp/{text}: unknown port", 500) from None


def split_address(address: str) -> tuple[str, int]:
    """``(host, port)`` from ``host:port`` / ``[v6]:port`` (a service name or an empty port
    is fine, as in Go); ``ApiError`` 500 with Go's message otherwise."""
    host, sep, port_text = address.rpartition(":")
    if not sep:
        raise ApiError(f"address {address}: missing port in address", 500)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ApiError(f"address {address}: too many colons in address", 500)
    return host, _port(port_text)


_WILDCARDS: Final = ("", "0.0.0.0", "::")


@functools.cache
def _dual_stack() -> bool:
    """Whether this host can open an IPv6 socket that also accepts IPv4."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            probe.bind(("::", 0))
    except OSError:
        return False
    return True


def format_address(host: str, port: int) -> str:
    """``host:port`` with IPv6 hosts in brackets."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


async def resolve(address: str) -> tuple[socket.AddressFamily, str, int]:
    """The address family, numeric host and port for ``address`` (IPv4 preferred, as Go
    prefers it for ``localhost``). An empty host, ``0.0.0.0`` or ``::`` means every interface,
    IPv6 and IPv4 together where the host allows (as Go listens)."""
    host, port = split_address(address)
    if host in _WILDCARDS:
        if _dual_stack():
            return socket.AF_INET6, "::", port  # Go listens dual-stack and shows [::]
        return socket.AF_INET, "0.0.0.0", port
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise ApiError(f"lookup {host}: no such host", 500) from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _, _, _, sockaddr = infos[0]
    return family, str(sockaddr[0]), port
