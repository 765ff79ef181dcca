"""Can the fake listen on ``host:port``? Asked before granian starts, answered in one line.

granian binds its listener with ``SO_REUSEPORT`` (no option turns that off in granian 2.8), so
a second fake on the port of a running one would bind too and the kernel would share the
connections between them; on a port held by any other listener granian panics in Rust. A plain
socket bound WITHOUT ``SO_REUSEPORT`` fails on both, so the command can refuse the port first.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

__all__ = ["host_problem", "listen_problem", "url"]


def url(host: str, port: int) -> str:
    """``http://HOST:PORT``, an IPv6 host in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def host_problem(host: str) -> str | None:
    """Why ``host`` cannot be listened on (granian takes IP addresses only), or None."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"{host!r} is not an IP address (e.g. 127.0.0.1 or ::1)"
    return None


def listen_problem(host: str, port: int) -> str | None:
    """Why the fake cannot listen on ``host:port`` (one line), or None when it can.

    ``host`` must be an IP address (granian takes no names). The port is free when a plain
    socket (``SO_REUSEADDR``, so connections in TIME_WAIT do not count, but no ``SO_REUSEPORT``)
    binds it; that socket is closed at once. A tiny race remains: another process may take the
    port between this check and granian's bind (and, as granian sets ``SO_REUSEPORT``, share
    it if that process is another granian).
    """
    bad_host = host_problem(host)
    if bad_host is not None:
        return bad_host
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return f"port {port} on {host} is already in use"
        if exc.errno == errno.EADDRNOTAVAIL:
            return f"cannot listen on {host}: not an address of this machine"
        if exc.errno == errno.EACCES:
            return f"cannot listen on {url(host, port)}: permission denied"
        return f"cannot listen on {url(host, port)}: {exc.strerror or exc}"
    return None
