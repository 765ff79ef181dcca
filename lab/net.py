"""Loopback networking helpers shared by the lab and the tests."""

from __future__ import annotations

import socket
import threading

import port_for

__all__ = ["LOOPBACK", "free_port", "is_listening"]

LOOPBACK = "127.0.0.1"


_handed_out: set[int] = set()
"""Ports this process already handed out: a part that has not bound its port yet must not
lose it to the next part started at the same moment (the stack starts parts concurrently)."""
_handed_lock = threading.Lock()


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now and that this process
    has not handed out before."""
    with _handed_lock:
        port: int = port_for.select_random(exclude_ports=_handed_out)
        _handed_out.add(port)
    return port


def is_listening(host: str, port: int, *, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
