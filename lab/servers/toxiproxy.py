"""A Toxiproxy server as a supervised process: the real one or ours."""

from __future__ import annotations

import sys
from typing import Any, Literal

from lab.binaries import BinaryNotFound, find
from lab.faults.toxiproxy import ToxiproxyClient
from lab.servers.base import ManagedServer, http_status

__all__ = ["Implementation", "ToxiproxyServer", "real_binary"]

Implementation = Literal["real", "embedded"]
"""``real``: Shopify's ``toxiproxy-server``; ``embedded``: ``python -m fakes.toxiproxy``."""


def real_binary() -> str | None:
    """The path of ``toxiproxy-server`` when it is on PATH."""
    try:
        return str(find("toxiproxy-server"))
    except BinaryNotFound:
        return None


class ToxiproxyServer(ManagedServer):
    """A Toxiproxy server process: ``implementation="real"`` (the Go binary), ``"embedded"``
    (``python -m fakes.toxiproxy``) or ``None`` (the real one when on PATH, else ours).
    Asking for ``"real"`` without the binary raises ``BinaryNotFound`` with the install hint.
    The real server runs with ``-proxy-metrics`` so ``/metrics`` matches ours."""

    name = "toxiproxy"
    start_timeout = 20.0

    def __init__(self, *, implementation: Implementation | None = None, **kwargs: Any) -> None:
        if implementation is None:
            implementation = "real" if real_binary() else "embedded"
        if implementation == "real":
            self._binary = str(find("toxiproxy-server"))  # BinaryNotFound names the fix
        super().__init__(**kwargs)
        self.implementation: Implementation = implementation

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        if self.implementation == "real":
            return [self._binary, "-host", self.host, "-port", str(self.port), "-proxy-metrics"]
        module = [sys.executable, "-m", "fakes.toxiproxy"]
        return [*module, "--host", self.host, "--port", str(self.port)]

    def probe(self) -> bool:
        return http_status(self.host, self.port, "/version", timeout=0.5) == 200

    def client(self, *, timeout: float = 10.0) -> ToxiproxyClient:
        """A client for this server (close it when done)."""
        return ToxiproxyClient(self.api_url, timeout=timeout)
