"""One proxied connection: two pipes (upstream = client -> server, downstream = server -> client).

Closing follows Toxiproxy: when a pipe ends (end of input, ``limit_data``, ``timeout``...)
it closes its destination socket, which ends the other pipe's input, which closes the other
socket. ``reset_peer`` closes both sockets with ``SO_LINGER`` 0, so both peers get a RST.
A link always ends with both sockets closed and its four tasks finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections.abc import Sequence
from typing import Final, Protocol

from fakes.toxiproxy.pipe import Pipe
from fakes.toxiproxy.protocol import StreamProtocol
from fakes.toxiproxy.toxics import Direction, Toxic

__all__ = ["Link", "LinkOwner"]

_GRACE_SECONDS: Final = 30.0
_LINGER_ZERO: Final = struct.pack("ii", 1, 0)


class LinkOwner(Protocol):
    """What a link needs from its proxy."""

    @property
    def rng(self) -> random.Random: ...

    def account(self, direction: Direction, received: int, sent: int) -> None:
        """Add a finished pipe's byte counts to the proxy's totals."""


class Link:
    """A client connection joined to its upstream connection through two pipes."""

    def __init__(
        self,
        owner: LinkOwner,
        client: tuple[asyncio.StreamReader, StreamProtocol, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, StreamProtocol, asyncio.StreamWriter],
    ) -> None:
        self.closed = False
        self._owner = owner
        self._client = client[2]
        self._server = upstream[2]
        self.upstream = Pipe(self, "upstream", client[0], client[1], upstream[2])
        self.downstream = Pipe(self, "downstream", upstream[0], upstream[1], client[2])
        client[1].pipe, upstream[1].pipe = self.upstream, self.downstream
        upstream[1].on_writable = self.upstream.resume_source
        client[1].on_writable = self.downstream.resume_source

    @property
    def rng(self) -> random.Random:
        return self._owner.rng

    def refresh(self, toxics: Sequence[Toxic]) -> None:
        """Apply the proxy's current toxic list to both pipes."""
        self.upstream.refresh(toxics, self._owner.rng)
        self.downstream.refresh(toxics, self._owner.rng)

    async def run(self) -> None:
        """Pump both directions until the link closes; always leaves both sockets closed."""
        pipes = (self.upstream, self.downstream)
        tasks = [asyncio.create_task(job) for p in pipes for job in (p.read_loop(), p.write_loop())]
        writers = {tasks[1], tasks[3]}
        try:
            _, pending = await asyncio.wait(writers, return_when=asyncio.FIRST_COMPLETED)
            if pending:
                await asyncio.wait(pending, timeout=_GRACE_SECONDS)
        finally:
            self.closed = True
            for writer in (self._client, self._server):
                if not writer.transport.is_closing():
                    writer.transport.abort()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for pipe in pipes:
                pipe.detach()
                self._owner.account(pipe.direction, pipe.received, pipe.sent)

    def pipe_closed(self, pipe: Pipe, *, reset: bool) -> None:
        """A pipe's chain ended: close its destination (gracefully) or reset both sockets."""
        if reset:
            self.reset()
            return
        pipe.close_dest()

    def abort(self) -> None:
        """Close both sockets now (proxy disabled or deleted)."""
        self.closed = True
        for writer in (self._client, self._server):
            writer.transport.abort()
        self.upstream.wake()
        self.downstream.wake()

    def reset(self) -> None:
        """Close both sockets with a TCP RST."""
        for writer in (self._client, self._server):
            sock = writer.transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        self.abort()
