"""A throwaway ``redis-server`` on loopback, persistence off (default) or append-only."""

from __future__ import annotations

import socket
from typing import Any

from lab.binaries import find
from lab.servers.base import ManagedServer

__all__ = ["RedisServer"]


class RedisServer(ManagedServer):
    """``redis-server`` in the foreground. ``persistence=False`` (the seed's V1 cache: a
    restart loses everything); ``True`` turns the append-only file on (``appendfsync
    everysec``) in the workdir, so a restart keeps the data."""

    name = "redis"

    def __init__(self, *, persistence: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.persistence = persistence

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def command(self) -> list[str]:
        return [
            str(find("redis-server")),
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "yes" if self.persistence else "no",
            "--protected-mode", "no",
            "--dir", str(self.workdir),
            "--daemonize", "no",
        ]  # fmt: skip

    def probe(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(64).startswith(b"+PONG")
        except OSError:
            return False
