"""The server: the HTTP API plus every proxy, on one asyncio event loop.

``ToxiproxyServer`` is what tests embed (``await server.start()``) and what ``serve`` runs
from the command line. The API binds to loopback unless told otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from pathlib import Path
from typing import Final

from aiohttp import web

from fakes.toxiproxy.api import build_app
from fakes.toxiproxy.collection import ProxyCollection
from fakes.toxiproxy.errors import ApiError
from fakes.toxiproxy.gojson import decode
from fakes.toxiproxy.metrics import ProxyMetrics
from fakes.toxiproxy.proxy import Proxy

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "IDLE_TIMEOUT_S",
    "ConfigError",
    "ToxiproxyServer",
    "serve",
]

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8474
IDLE_TIMEOUT_S: Final = 60.0
"""An API connection silent this long is closed: one that never sent a request, one stuck
in the middle of its request head, or an idle keep-alive one (Toxiproxy's ``IdleTimeout``)."""


class ConfigError(Exception):
    """A ``-config`` file that cannot be loaded; the message names the file and the reason."""


class ToxiproxyServer:
    """A Toxiproxy-compatible server. ``port=0`` picks a free port (see ``port`` after
    ``start``); ``seed`` makes toxicity draws, jitter and slicing reproducible;
    ``idle_timeout_s`` bounds how long an API connection may stay silent (proxied
    connections are never timed out: a proxy carries idle links)."""

    def __init__(
        self,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        seed: int | None = None,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
    ) -> None:
        if not idle_timeout_s > 0:
            raise ValueError(f"idle_timeout_s must be more than 0, not {idle_timeout_s}")
        self.host = host
        self.port = port
        self.idle_timeout_s = idle_timeout_s
        self.metrics = ProxyMetrics()
        self.proxies = ProxyCollection(rng=random.Random(seed), metrics=self.metrics)
        self._runner: web.AppRunner | None = None

    @property
    def api_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def proxy(self, name: str) -> Proxy:
        """The named proxy (``ApiError`` 404 when absent)."""
        return self.proxies.get(name)

    async def start(self) -> None:
        """Serve the API; returns once it is listening."""
        # aiohttp's keep-alive timer starts when a connection opens and again after each
        # answer, and closes the connection if no whole request head arrived by then.
        runner = web.AppRunner(
            build_app(self.proxies, self.metrics),
            access_log=None,
            keepalive_timeout=self.idle_timeout_s,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, backlog=1024)
        await site.start()
        self._runner = runner
        if self.port == 0 and runner.addresses:
            self.port = int(runner.addresses[0][1])

    async def populate_file(self, path: Path) -> list[Proxy]:
        """Create the proxies listed in a Toxiproxy ``-config`` JSON file."""
        body = decode(await asyncio.to_thread(path.read_bytes))
        result = await self.proxies.populate(body)
        if result.error is not None:
            raise result.error
        return result.proxies

    async def stop(self) -> None:
        """Close every proxy and the API."""
        await self.proxies.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def serve(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    config: Path | None = None,
    seed: int | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Run until SIGINT/SIGTERM: populate from ``config`` first, then serve the API.

    Raises ``ConfigError`` when ``config`` cannot be loaded and ``OSError`` when the API
    cannot listen; callers turn them into one line and an exit code.
    """
    server = ToxiproxyServer(host=host, port=port, seed=seed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        if config is not None:
            try:
                await server.populate_file(config)
            except (ApiError, OSError) as error:
                raise ConfigError(f"populating from {config} failed: {error}") from None
        await server.start()
        print(f"toxiproxy: API on {server.api_url}", flush=True)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await server.stop()
