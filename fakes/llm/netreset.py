"""Close a client's TCP connection before any response, from inside a granian worker.

Granian answers 500 when an app raises or returns without a response, and ends a stream
cleanly when an app fails mid-stream, so an app cannot drop a connection through the RSGI
interface. On Linux the worker owns the connection's socket, so we find it by its address
pair among our own file descriptors (``/proc/self/fd``), set ``SO_LINGER`` to zero (the final
close then sends RST) and shut it down: the client sees the connection end without a
response, exactly like a provider's load balancer resetting it.

Where that is impossible (no ``/proc``), ``drop`` returns False and the caller falls back to
sending headers that promise a body it never sends (the client sees a truncated response).

``finish`` ends a connection mid-answer the same way but gracefully (a FIN after the bytes
already sent, no RST, which would let the client's kernel discard them): a stream cut with a
promised ``content-length`` then ends at once, without waiting for granian to notice that the
app stopped writing.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import struct

__all__ = ["drop", "finish"]

_FD_DIR = "/proc/self/fd"
_LINGER_ZERO = struct.pack("ii", 1, 0)


def _split(address: str) -> tuple[str, int] | None:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _matches(sock: socket.socket, client: tuple[str, int], server_port: int) -> bool:
    try:
        peer = sock.getpeername()
        local = sock.getsockname()
    except OSError:
        return False
    if not isinstance(peer, tuple) or not isinstance(local, tuple):
        return False
    return bool(peer[1] == client[1] and local[1] == server_port)


def drop(client: str, server: str) -> bool:
    """Reset the connection from ``client`` to ``server`` ("host:port" each); True if done."""
    return _shut(client, server, reset=True)


def finish(client: str, server: str) -> bool:
    """End the connection from ``client`` to ``server`` after what is sent; True if done."""
    return _shut(client, server, reset=False)


def _shut(client: str, server: str, *, reset: bool) -> bool:
    peer = _split(client)
    local = _split(server)
    if peer is None or local is None or not os.path.isdir(_FD_DIR):
        return False
    try:
        names = os.listdir(_FD_DIR)
    except OSError:
        return False
    for name in names:
        fd = int(name)
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if _matches(sock, peer, local[1]):
                if reset:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR if reset else socket.SHUT_WR)
                return True
        finally:
            sock.close()
    return False
