"""The virtual clock the resilience tests run on."""

from __future__ import annotations

import asyncio

from service.resilience.clock import ManualClock, SystemClock


async def test_sleep_moves_virtual_time_without_waiting() -> None:
    """A long sleep on the manual clock returns at once with time advanced."""
    clock = ManualClock(start=5.0)
    loop = asyncio.get_running_loop()
    real = loop.time()
    await clock.sleep(3600)
    assert clock.monotonic() == 5.0 + 3600
    assert loop.time() - real < 5


async def test_concurrent_sleepers_wake_in_deadline_order() -> None:
    """Sleepers wake in the order of their deadlines, each at its own virtual time."""
    clock = ManualClock()
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    await asyncio.gather(sleeper("late", 3), sleeper("early", 1), sleeper("mid", 2))
    assert woke == [("early", 1), ("mid", 2), ("late", 3)]


async def test_advance_wakes_only_due_sleepers() -> None:
    """Without auto-advance, ``advance`` wakes the sleepers whose deadline it passes."""
    clock = ManualClock(auto_advance=False)
    task = asyncio.create_task(clock.sleep(10))
    await asyncio.sleep(0)
    await clock.advance(5)
    assert not task.done()
    await clock.advance(5)
    assert task.done()
    assert clock.pending == 0


async def test_system_clock_is_monotonic() -> None:
    """The system clock never goes backwards and sleeps without error."""
    clock = SystemClock()
    before = clock.monotonic()
    await clock.sleep(0)
    assert clock.monotonic() >= before
