"""A proxy: a listening socket, its live links, and its toxics.

``enabled`` means listening. Disabling stops listening (new connections are refused) and
closes every live link. Toxic changes are pushed to live links at once and never wait for
them, so the API answers promptly however many connections carry data.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from typing import Final

from fakes.toxiproxy.addresses import format_address, resolve, split_address
from fakes.toxiproxy.errors import TOXIC_NOT_FOUND, ApiError
from fakes.toxiproxy.link import Link
from fakes.toxiproxy.metrics import ProxyMetrics
from fakes.toxiproxy.protocol import StreamProtocol
from fakes.toxiproxy.toxics import Direction, Toxic, parse_toxic, update_toxic

__all__ = ["Proxy"]

_STREAM_LIMIT: Final = 256 * 1024
_CONNECT_TIMEOUT: Final = 10.0
_STOP_TIMEOUT: Final = 5.0
_BACKLOG: Final = 1024
# Go dials the local system for an empty or unspecified upstream host (":6379").
_LOCAL_FOR: Final = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


class Proxy:
    """One named proxy from ``listen`` to ``upstream``."""

    def __init__(
        self, *, name: str, listen: str, upstream: str, rng: random.Random, metrics: ProxyMetrics
    ) -> None:
        self.name = name
        self.listen = listen or "127.0.0.1:0"
        self.upstream = upstream
        self.enabled = False
        self.toxics: list[Toxic] = []
        self._rng = rng
        self._metrics = metrics
        self._server: asyncio.Server | None = None
        self._links: set[Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._generation = 0

    # -- what links need -----------------------------------------------------------------
    @property
    def rng(self) -> random.Random:
        return self._rng

    def labels(self, direction: Direction) -> tuple[str, str, str, str]:
        """Metric labels: direction, proxy, listener, upstream."""
        return (direction, self.name, self.listen, self.upstream)

    def account(self, direction: Direction, received: int, sent: int) -> None:
        self._metrics.add(self.labels(direction), received, sent)

    def live_bytes(self) -> list[tuple[tuple[str, str, str, str], int, int]]:
        """Bytes moved so far by links that are still open, per direction."""
        rows = []
        for link in self._links:
            for pipe in (link.upstream, link.downstream):
                rows.append((self.labels(pipe.direction), pipe.received, pipe.sent))
        return rows

    @property
    def link_count(self) -> int:
        """Connections currently proxied (handlers still running included)."""
        return len(self._tasks)

    # -- JSON ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, object]:
        """Toxiproxy's proxy JSON, toxics upstream first then downstream."""
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [toxic.to_json() for toxic in self._ordered_toxics()],
        }

    def toxics_json(self) -> list[dict[str, object]]:
        return [toxic.to_json() for toxic in self._ordered_toxics()]

    def _ordered_toxics(self) -> list[Toxic]:
        up = [t for t in self.toxics if t.direction == "upstream"]
        return up + [t for t in self.toxics if t.direction == "downstream"]

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on ``listen`` (port 0 picks one; ``listen`` then shows it)."""
        if self.enabled:
            return
        try:
            family, host, port = await resolve(self.listen)
        except ApiError as error:
            raise ApiError(f"listen tcp: {error.message}", error.status) from None
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and host == "::":
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind((host, port))
            sock.listen(_BACKLOG)
            sock.setblocking(False)
        except OSError as error:
            sock.close()
            reason = (error.strerror or str(error)).lower()
            where = format_address(host, port)
            raise ApiError(f"listen tcp {where}: bind: {reason}", 500) from None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, sock=sock)
        bound = sock.getsockname()
        self.listen = format_address(str(bound[0]), int(bound[1]))
        self.enabled = True

    async def stop(self) -> None:
        """Stop listening and close every live connection."""
        if not self.enabled:
            return
        self.enabled = False
        self._generation += 1
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for link in list(self._links):
            link.abort()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=_STOP_TIMEOUT)

    async def differs(self, listen: str, upstream: str) -> bool:
        """Whether ``listen``/``upstream`` name other addresses than this proxy's."""
        family, host, port = await resolve(listen or "127.0.0.1:0")
        del family
        return self.listen != format_address(host, port) or self.upstream != upstream

    async def update(self, *, listen: str, upstream: str, enabled: bool) -> None:
        """Toxiproxy's update: a new address restarts the proxy; ``enabled`` starts/stops it."""
        if await self.differs(listen, upstream):
            await self.stop()
            self.listen = listen or "127.0.0.1:0"
            self.upstream = upstream
        if enabled and not self.enabled:
            await self.start()
        elif not enabled and self.enabled:
            await self.stop()

    # -- toxics --------------------------------------------------------------------------
    def get_toxic(self, name: str) -> Toxic:
        for toxic in self.toxics:
            if toxic.name == name:
                return toxic
        raise TOXIC_NOT_FOUND

    def add_toxic(self, body: object) -> Toxic:
        toxic = parse_toxic(body, taken=lambda name: any(t.name == name for t in self.toxics))
        self.toxics.append(toxic)
        self._changed()
        return toxic

    def update_toxic(self, name: str, body: object) -> Toxic:
        toxic = self.get_toxic(name)
        update_toxic(toxic, body)
        self._changed()
        return toxic

    def remove_toxic(self, name: str) -> None:
        self.toxics.remove(self.get_toxic(name))
        self._changed()

    def reset_toxics(self) -> None:
        self.toxics.clear()
        self._changed()

    def _changed(self) -> None:
        for link in self._links:
            link.refresh(self.toxics)

    # -- connections ---------------------------------------------------------------------
    def _protocol(self) -> StreamProtocol:
        reader = asyncio.StreamReader(limit=_STREAM_LIMIT)
        return StreamProtocol(reader, self._accept)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except Exception:  # noqa: S110 - one broken connection never stops the proxy
            pass
        finally:
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.transport.abort()

    async def _dial(self) -> tuple[asyncio.StreamReader, StreamProtocol, asyncio.StreamWriter]:
        host, port = split_address(self.upstream)
        host = _LOCAL_FOR.get(host, host)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=_STREAM_LIMIT)
        protocol = StreamProtocol(reader)
        transport, _ = await loop.create_connection(lambda: protocol, host, port)
        return reader, protocol, asyncio.StreamWriter(transport, protocol, reader, loop)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        generation = self._generation
        if not self.enabled:
            writer.transport.abort()
            return
        try:
            upstream = await asyncio.wait_for(self._dial(), _CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ApiError):
            writer.close()  # the upstream is down: the client sees a clean close
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        if generation != self._generation:
            writer.transport.abort()
            upstream[2].transport.abort()
            return
        protocol = writer.transport.get_protocol()
        if not isinstance(protocol, StreamProtocol):  # pragma: no cover - we made it
            raise TypeError(f"unexpected protocol {protocol!r}")
        link = Link(self, (reader, protocol, writer), upstream)
        link.refresh(self.toxics)
        self._links.add(link)
        try:
            await link.run()
        finally:
            self._links.discard(link)
