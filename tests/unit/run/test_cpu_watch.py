"""The load generator's CPU watch."""

from __future__ import annotations

import os
import time

from chaoslab.run.cpu import CpuWatch


def test_a_busy_process_shows_its_cpu() -> None:
    """This process spinning is seen using the share of a core it actually got (its own
    process_time over the same wall span), whatever else the machine is doing."""
    watch = CpuWatch(every=0.2)
    wall0, cpu0 = time.monotonic(), time.process_time()
    watch.sample([os.getpid()])
    end = time.monotonic() + 10.0
    while time.process_time() - cpu0 < 0.5 and time.monotonic() < end:
        pass
    watch.sample([os.getpid()])
    wall1, cpu1 = time.monotonic(), time.process_time()
    assert watch.peak is not None
    got = 100.0 * (cpu1 - cpu0) / (wall1 - wall0)
    assert abs(watch.peak - got) < 15.0  # /proc counts in clock ticks (10 ms)
    assert watch.peak > 5.0


def test_a_gone_process_records_nothing() -> None:
    """A pid that does not exist leaves no figure."""
    watch = CpuWatch(every=0.0)
    watch.sample([2**22 + 12345])
    watch.sample([2**22 + 12345])
    assert watch.peak is None
