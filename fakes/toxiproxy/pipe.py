"""One direction of a link: read a socket, apply the toxic chain, write the other socket.

With no toxic in effect the source protocol bypasses the pipe entirely (see ``protocol``);
any leftover bytes are written straight by the reader task. Otherwise the reader stamps
each chunk with its arrival time and queues it (at most 4 MiB), and the writer task runs it
through the chain: the proxy's current toxics for this direction, pushed by ``refresh``.

Whether a toxic applies (its ``toxicity``) is drawn once per pipe, and again when the toxic
is updated; a toxic that does not apply is not in the chain, so ``toxicity: 0`` never
touches traffic. Removing or updating a toxic wakes whatever it holds, so its data moves
on at once (an updated slow_close restarts its delay; reset_peer keeps its deadline).

Longer than most modules (about 390 lines) on purpose: each toxic's behaviour is a method
here because it waits on the pipe's wakers and writes through its transport; moved out, every
toxic would take the pipe's internals as arguments, on the proxy's hottest path.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, Protocol

from fakes.toxiproxy.protocol import StreamProtocol, Waker
from fakes.toxiproxy.toxics import Direction, Toxic, jittered_delay_ms, slice_bounds

__all__ = ["Pipe", "PipeOwner"]

_READ_SIZE: Final = 256 * 1024
_HIGH_WATER: Final = 1 << 20
_QUEUE_LIMIT: Final = 4 << 20


class PipeOwner(Protocol):
    """What a pipe needs from its link."""

    closed: bool

    @property
    def rng(self) -> random.Random: ...

    def pipe_closed(self, pipe: Pipe, *, reset: bool) -> None:
        """The pipe's chain ended: close its destination, or reset both sockets."""


class _Close(Exception):
    """Unwinds a pipe's chain: close the destination (or reset both sockets)."""

    def __init__(self, *, reset: bool = False) -> None:
        super().__init__("close")
        self.reset = reset


class _Chunk:
    __slots__ = ("at", "data")

    def __init__(self, data: bytes, at: float) -> None:
        self.data = data
        self.at = at


class _State:
    """One toxic as seen by one pipe: whether it applies, and its running counters."""

    __slots__ = ("active", "clock", "deadline", "removed", "revision", "sent", "toxic")

    def __init__(self, toxic: Toxic, active: bool, now: float) -> None:
        self.toxic = toxic
        self.revision = toxic.revision
        self.active = active
        self.removed = False
        self.clock = now
        self.sent = 0
        self.deadline = now + toxic.attr("timeout") / 1000


_Next = Callable[[_Chunk | None], Awaitable[None]]


class Pipe:
    """One direction of a link: reads ``source``, applies toxics, writes ``dest``."""

    def __init__(
        self,
        link: PipeOwner,
        direction: Direction,
        source: asyncio.StreamReader,
        source_protocol: StreamProtocol,
        dest: asyncio.StreamWriter,
    ) -> None:
        self.direction: Direction = direction
        self.received = 0
        self.sent = 0
        self._link = link
        self._source = source
        self._source_protocol = source_protocol
        self._consumed = 0
        self._paused = False
        self._dest = dest
        self._pending: deque[_Chunk] = deque()
        self._queued = 0
        self._busy = False
        self._eof = False
        self._dropping = False
        self._kill = False
        self._states: dict[Toxic, _State] = {}
        self._chain: tuple[_State, ...] = ()
        self._idle = Waker()
        self._change = Waker()
        self._space = Waker()

    # -- chain ---------------------------------------------------------------------------
    def refresh(self, toxics: Sequence[Toxic], rng: random.Random) -> None:
        """Adopt the proxy's current toxics for this direction (draws toxicity for new ones)."""
        now = asyncio.get_running_loop().time()
        states: dict[Toxic, _State] = {}
        for toxic in toxics:
            if toxic.direction != self.direction:
                continue
            state = self._states.get(toxic)
            if state is None:
                state = _State(toxic, rng.random() < toxic.toxicity, now)
            elif state.revision != toxic.revision:
                state.revision = toxic.revision
                state.active = rng.random() < toxic.toxicity
                state.deadline = now + toxic.attr("timeout") / 1000
                state.clock = now  # bandwidth starts afresh, as a re-run Go toxic does
            states[toxic] = state
        for toxic, state in self._states.items():
            if toxic not in states:
                state.removed = True
                if state.active and toxic.type == "timeout":
                    self._kill = True  # Toxiproxy closes a link when its timeout toxic goes
        self._states = states
        # A noop toxic (Toxiproxy's pass-through) never needs the slow path.
        self._chain = tuple(
            state for state in states.values() if state.active and state.toxic.type != "noop"
        )
        self.wake()

    def wake(self) -> None:
        self._idle.wake()
        self._change.wake()
        self._space.wake()

    # -- bypass (called from the source protocol) -----------------------------------------
    def bypass(self, data: bytes) -> bool:
        """Write ``data`` straight to the destination if nothing needs the slow path."""
        if (
            self._chain
            or self._pending
            or self._busy
            or self._dropping
            or self._source_protocol.fed != self._consumed
        ):
            return False
        transport = self._dest.transport
        if transport.is_closing():
            return False
        transport.write(data)
        self.received += len(data)
        self.sent += len(data)
        if not self._paused and transport.get_write_buffer_size() > _HIGH_WATER:
            self._paused = True
            source_transport = self._source_protocol.transport
            if source_transport is not None:
                source_transport.pause_reading()
        return True

    def close_dest(self) -> None:
        """Close the destination socket once its buffered bytes are sent."""
        self._dest.close()

    def detach(self) -> None:
        """Stop bypassing (the link is over) and drop the protocol's references."""
        self._dropping = True
        self._source_protocol.pipe = None
        self._source_protocol.on_writable = None

    def resume_source(self) -> None:
        """The destination drained: read the source again if the bypass paused it."""
        if self._paused:
            self._paused = False
            source_transport = self._source_protocol.transport
            if source_transport is not None and not source_transport.is_closing():
                source_transport.resume_reading()

    # -- reader --------------------------------------------------------------------------
    async def read_loop(self) -> None:
        """Read until end of input; write directly when no toxic is in effect."""
        loop = asyncio.get_running_loop()
        source = self._source
        dest = self._dest
        transport = dest.transport
        try:
            while True:
                data = await source.read(_READ_SIZE)
                if not data:
                    break
                self._consumed += len(data)
                self.received += len(data)
                if self._dropping:
                    continue
                if not self._chain and not self._pending and not self._busy:
                    if transport.is_closing():
                        self._dropping = True
                        continue
                    transport.write(data)
                    self.sent += len(data)
                    if transport.get_write_buffer_size() > _HIGH_WATER:
                        await dest.drain()
                    continue
                self._pending.append(_Chunk(data, loop.time()))
                self._queued += len(data)
                self._idle.wake()
                while self._queued > _QUEUE_LIMIT and not self._link.closed and not self._dropping:
                    await self._space.wait(None)
        except (ConnectionError, OSError):
            pass
        finally:
            self._eof = True
            self._idle.wake()

    # -- writer --------------------------------------------------------------------------
    async def write_loop(self) -> None:
        """Run queued chunks through the chain; end by closing the destination."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                if self._kill:
                    raise _Close
                if self._pending:
                    chunk = self._pending.popleft()
                    self._queued -= len(chunk.data)
                    self._space.wake()
                    self._busy = True
                    try:
                        await self._through(self._chain, 0, chunk)
                    finally:
                        self._busy = False
                    continue
                if self._link.closed:
                    raise _Close
                if self._eof:
                    await self._through(self._chain, 0, None)
                    raise _Close
                deadline = self._timeout_deadline()
                if deadline is not None and loop.time() >= deadline:
                    raise _Close
                await self._idle.wait(deadline)
        except _Close as close:
            self._dropping = True
            self._link.pipe_closed(self, reset=close.reset)
        except (ConnectionError, OSError):
            self._dropping = True
            self._link.pipe_closed(self, reset=False)

    def _timeout_deadline(self) -> float | None:
        deadlines = [
            state.deadline
            for state in self._chain
            if state.toxic.type == "timeout" and state.toxic.attr("timeout") > 0
        ]
        return min(deadlines) if deadlines else None

    async def _through(self, chain: tuple[_State, ...], index: int, chunk: _Chunk | None) -> None:
        if index == len(chain):
            await self._deliver(chunk)
            return
        state = chain[index]

        async def nxt(item: _Chunk | None) -> None:
            await self._through(chain, index + 1, item)

        if state.removed or not state.active:
            await nxt(chunk)
            return
        await _HANDLERS[state.toxic.type](self, state, chunk, nxt)

    async def _deliver(self, chunk: _Chunk | None) -> None:
        if chunk is None:
            raise _Close
        transport = self._dest.transport
        if transport.is_closing():
            raise _Close
        transport.write(chunk.data)
        self.sent += len(chunk.data)
        if transport.get_write_buffer_size() > _HIGH_WATER:
            await self._dest.drain()

    async def _sleep_until(self, deadline: float, state: _State) -> bool:
        """Sleep until ``deadline``; ``False`` early when the toxic is removed, disabled or
        updated (Toxiproxy interrupts a toxic to update it: held data moves on at once)."""
        loop = asyncio.get_running_loop()
        revision = state.revision
        while True:
            if self._link.closed or self._kill:
                raise _Close
            if state.removed or not state.active or state.revision != revision:
                return False
            if loop.time() >= deadline:
                return True
            await self._change.wait(deadline)

    # -- toxics --------------------------------------------------------------------------
    async def _latency(self, state: _State, chunk: _Chunk | None, nxt: _Next) -> None:
        if chunk is not None:
            toxic = state.toxic
            delay = jittered_delay_ms(toxic.attr("latency"), toxic.attr("jitter"), self._link.rng)
            target = chunk.at + delay / 1000
            if await self._sleep_until(target, state):
                chunk.at = max(chunk.at, target)
        await nxt(chunk)

    async def _bandwidth(self, state: _State, chunk: _Chunk | None, nxt: _Next) -> None:
        rate = state.toxic.attr("rate")
        if chunk is None or rate <= 0:
            await nxt(chunk)
            return
        loop = asyncio.get_running_loop()
        data = chunk.data
        step = rate * 100  # bytes per 100 ms, Toxiproxy's largest write
        for offset in range(0, len(data), step):
            piece = data[offset : offset + step]
            state.clock = max(state.clock, loop.time()) + len(piece) / (rate * 1000)
            if not await self._sleep_until(state.clock, state):
                await nxt(_Chunk(data[offset:], chunk.at))
                return
            await nxt(_Chunk(piece, chunk.at))

    async def _slow_close(self, state: _State, chunk: _Chunk | None, nxt: _Next) -> None:
        # An update restarts the delay with the new value, as Toxiproxy re-runs the toxic.
        while chunk is None and not state.removed and state.active:
            delay = state.toxic.attr("delay") / 1000
            if await self._sleep_until(asyncio.get_running_loop().time() + delay, state):
                break
        await nxt(chunk)

    async def _timeout(self, state: _State, chunk: _Chunk | None, nxt: _Next) -> None:
        if chunk is None:
            raise _Close
        timeout = state.toxic.attr("timeout")
        if timeout > 0:
            state.deadline = asyncio.get_running_loop().time() + timeout / 1000

    async def _reset_peer(self, state: _State, chunk: _Chunk | None, nxt: _Next) -> None:
        # Toxiproxy's wait here ignores updates: only a removal (or toxicity 0) stops it.
        deadline = asyncio.get_running_loop().time() + state.toxic.attr("timeout") / 1000
        while not state.removed and state.active:
            if await self._sleep_until(deadline, state):
                raise _Close(reset=True)
        await nxt(chunk)

    async def _slicer(self, state: _State, chunk: _Chunk | None, nxt: _Next) -> None:
        if chunk is None:
            await nxt(chunk)
            return
        toxic = state.toxic
        loop = asyncio.get_running_loop()
        data = chunk.data
        delay = toxic.attr("delay") / 1_000_000
        bounds = slice_bounds(
            len(data), toxic.attr("average_size"), toxic.attr("size_variation"), self._link.rng
        )
        for start, end in bounds:
            await nxt(_Chunk(data[start:end], chunk.at))
            if delay > 0 and not await self._sleep_until(loop.time() + delay, state):
                if end < len(data):
                    await nxt(_Chunk(data[end:], chunk.at))
                return

    async def _limit_data(self, state: _State, chunk: _Chunk | None, nxt: _Next) -> None:
        if chunk is None:
            await nxt(chunk)
            return
        limit = state.toxic.attr("bytes")
        piece = chunk.data[: max(limit - state.sent, 0)]
        if piece:
            await nxt(_Chunk(piece, chunk.at))
            state.sent += len(piece)
        if limit - state.sent <= 0:
            raise _Close


_Handler = Callable[[Pipe, _State, "_Chunk | None", _Next], Awaitable[None]]

_HANDLERS: Final[dict[str, _Handler]] = {
    "latency": Pipe._latency,
    "bandwidth": Pipe._bandwidth,
    "slow_close": Pipe._slow_close,
    "timeout": Pipe._timeout,
    "reset_peer": Pipe._reset_peer,
    "slicer": Pipe._slicer,
    "limit_data": Pipe._limit_data,
}
