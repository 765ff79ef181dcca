"""Connections that send nothing are closed after the header timeout; the fake stays usable."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from lab.servers import FakeLLMServer

_TIMEOUT_S = 1.0
# generous: a loaded 2-core machine may be slow to notice and to close
_CLOSED_WITHIN_S = 20.0


@pytest.fixture(scope="module")
def quick_fake() -> Iterator[FakeLLMServer]:
    """A fake OpenAI whose header timeout is one second."""
    fake = FakeLLMServer("openai", header_timeout_s=_TIMEOUT_S).start()
    try:
        yield fake
    finally:
        fake.stop()


def _connect(fake: FakeLLMServer) -> socket.socket:
    return socket.create_connection((fake.host, fake.port), timeout=_CLOSED_WITHIN_S)


def _closed_after(sock: socket.socket, started: float) -> float:
    """Seconds from ``started`` until the peer closes ``sock`` (whatever it sends first)."""
    while sock.recv(65536):
        pass
    return time.monotonic() - started


def test_silent_connections_are_closed(quick_fake: FakeLLMServer) -> None:
    """40 connections that never send a byte are all closed, none before the timeout."""
    started = time.monotonic()
    socks = [_connect(quick_fake) for _ in range(40)]
    try:
        waits = [_closed_after(sock, started) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert all(_TIMEOUT_S * 0.5 <= wait < _CLOSED_WITHIN_S for wait in waits)


def test_half_sent_request_head_is_closed(quick_fake: FakeLLMServer) -> None:
    """A request head that stops half-way (slowloris) is closed too."""
    with _connect(quick_fake) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        assert _closed_after(sock, time.monotonic()) < _CLOSED_WITHIN_S


def test_idle_keep_alive_connection_is_closed(quick_fake: FakeLLMServer) -> None:
    """After an answer, a keep-alive connection that sends nothing more is closed."""
    with _connect(quick_fake) as sock:
        sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert _closed_after(sock, time.monotonic()) < _CLOSED_WITHIN_S


def test_default_timeout_leaves_slow_clients_alone(fake_openai: FakeLLMServer) -> None:
    """With the default 30 s timeout a client pausing 2 s before its request is served."""
    with _connect(fake_openai) as sock:
        time.sleep(2)
        sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    assert httpx.get(f"{fake_openai.base_url}/models").status_code == 200
