"""The socket side of a link: a stream protocol with a bypass, and a cheap wake-up.

``StreamProtocol`` is an ``asyncio.StreamReaderProtocol`` (the link reads and writes through
``StreamReader``/``StreamWriter``) whose ``data_received`` hands bytes straight to the other
socket while its pipe has nothing to do: no toxic in effect, nothing queued. That fast path
costs one Python call per received chunk instead of a task switch and a buffer copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, cast

__all__ = ["Bypass", "StreamProtocol", "Waker"]


class Bypass(Protocol):
    """What a protocol hands received bytes to first: a ``Pipe`` (this module does not import
    ``pipe``, which imports it)."""

    def bypass(self, data: bytes) -> bool:
        """Send ``data`` on at once and return True, or return False to take the slow path."""
        ...


class Waker:
    """A one-waiter wake-up: ``wait`` until ``wake`` or a loop-time deadline."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None

    def wake(self) -> None:
        future = self._future
        if future is not None and not future.done():
            future.set_result(None)

    async def wait(self, deadline: float | None) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._future = future
        timer = None if deadline is None else loop.call_at(deadline, _resolve, future)
        try:
            await future
        finally:
            self._future = None
            if timer is not None:
                timer.cancel()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class StreamProtocol(asyncio.StreamReaderProtocol):
    """A stream protocol with a bypass: while its pipe has no toxic in effect and nothing
    queued, received bytes go straight to the other socket (no task switch, no copy into
    the stream buffer); otherwise they feed the ``StreamReader`` as usual."""

    def __init__(self, reader: asyncio.StreamReader, *args: Any, **kwargs: Any) -> None:
        super().__init__(reader, *args, **kwargs)
        self.pipe: Bypass | None = None
        self.fed = 0
        self.on_writable: Callable[[], None] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        pipe = self.pipe
        if pipe is not None and pipe.bypass(data):
            return
        self.fed += len(data)
        super().data_received(data)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.on_writable is not None:
            self.on_writable()
