"""The load generator's CPU watch."""

from __future__ import annotations

import os
import time

from chaoslab.run.cpu import CpuWatch


def test_a_busy_process_shows_its_cpu() -> None:
    """This process spinning for 0.3 s is seen using most of a core."""
    watch = CpuWatch(every=0.2)
    watch.sample([os.getpid()])
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        pass
    watch.sample([os.getpid()])
    assert watch.peak is not None
    assert 30.0 < watch.peak <= 110.0


def test_a_gone_process_records_nothing() -> None:
    """A pid that does not exist leaves no figure."""
    watch = CpuWatch(every=0.0)
    watch.sample([2**22 + 12345])
    watch.sample([2**22 + 12345])
    assert watch.peak is None
