"""While a run plays, SIGTERM and SIGINT raise ``KeyboardInterrupt`` (once), so its clean-up
(every fault rolled back, Locust stopped) always runs."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["signals_raise"]


@contextmanager
def signals_raise() -> Iterator[None]:
    """SIGTERM and SIGINT raise KeyboardInterrupt (once): cleanup always runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
