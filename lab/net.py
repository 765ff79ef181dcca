"""Loopback networking helpers shared by the lab and the tests."""

from __future__ import annotations

import socket

import port_for

__all__ = ["LOOPBACK", "free_port", "is_listening"]

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    port: int = port_for.select_random()
    return port


def is_listening(host: str, port: int, *, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
