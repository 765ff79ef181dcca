"""``host:port`` strings as Toxiproxy reads and prints them (``127.0.0.1:8080``, ``[::1]:8080``)."""

from __future__ import annotations

import asyncio
import socket

from fakes.toxiproxy.errors import ApiError

__all__ = ["format_address", "resolve", "split_address"]


def split_address(address: str) -> tuple[str, int]:
    """``(host, port)`` from ``host:port`` / ``[v6]:port``; ``ApiError`` 500 as Go reports it."""
    host, sep, port_text = address.rpartition(":")
    if not sep:
        raise ApiError(f"address {address}: missing port in address", 500)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise ApiError(f"address {address}: invalid port", 500) from None
    if not 0 <= port <= 65535:
        raise ApiError(f"address {address}: invalid port", 500)
    return host, port


def format_address(host: str, port: int) -> str:
    """``host:port`` with IPv6 hosts in brackets."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


async def resolve(address: str) -> tuple[socket.AddressFamily, str, int]:
    """The address family, numeric host and port for ``address`` (IPv4 preferred, as Go
    prefers it for ``localhost``). An empty host means every interface."""
    host, port = split_address(address)
    if not host:
        return socket.AF_INET, "0.0.0.0", port
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise ApiError(f"lookup {host}: {error}", 500) from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _, _, _, sockaddr = infos[0]
    return family, str(sockaddr[0]), port
