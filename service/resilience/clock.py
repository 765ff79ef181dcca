"""Clocks for the resilience logic: the system clock and a virtual clock for tests.

``ManualClock`` keeps virtual time. ``sleep`` parks the caller until time reaches its
deadline; time moves only through ``advance`` or, with ``auto_advance=True`` (the
default), by jumping to the earliest pending deadline once every task has parked (the
loop ran ``idle_spins`` iterations without a new sleeper). Tests of retries, breakers
and hedging therefore run instantly and deterministically, without real sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time

__all__ = ["ManualClock", "SystemClock"]


class SystemClock:
    """Real time: ``time.monotonic`` and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """Virtual time for tests; see the module docstring."""

    def __init__(self, start: float = 0.0, *, auto_advance: bool = True, idle_spins: int = 50):
        self._now = start
        self._auto = auto_advance
        self._idle_spins = idle_spins
        self._seq = itertools.count()
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._driver: asyncio.Task[None] | None = None
        self._changed = 0

    def monotonic(self) -> float:
        return self._now

    @property
    def pending(self) -> int:
        """Number of sleepers not yet woken (cancelled ones excluded)."""
        return sum(1 for _, _, fut in self._waiters if not fut.done())

    async def sleep(self, seconds: float) -> None:
        """Park until virtual time reaches ``now + seconds``; ``<= 0`` just yields."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiters, (self._now + seconds, next(self._seq), fut))
        self._changed += 1
        if self._auto and (self._driver is None or self._driver.done()):
            self._driver = loop.create_task(self._drive())
        await fut

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` waking every sleeper due on the way, in order."""
        target = self._now + seconds
        while self._waiters and self._waiters[0][0] <= target:
            when, _, fut = heapq.heappop(self._waiters)
            self._now = max(self._now, when)
            if not fut.done():
                fut.set_result(None)
                await _spin(self._idle_spins)
        self._now = max(self._now, target)
        await asyncio.sleep(0)

    async def _drive(self) -> None:
        while True:
            seen = -1
            while seen != self._changed:
                seen = self._changed
                await _spin(self._idle_spins)
            self._drop_cancelled()
            if not self._waiters:
                return
            when, _, fut = heapq.heappop(self._waiters)
            self._now = max(self._now, when)
            fut.set_result(None)
            self._changed += 1

    def _drop_cancelled(self) -> None:
        while self._waiters and self._waiters[0][2].done():
            heapq.heappop(self._waiters)


async def _spin(times: int) -> None:
    for _ in range(times):
        await asyncio.sleep(0)
