"""The per-request log: ``RUN/load/requests-<worker>.jsonl``, one ``RequestRecord`` a line.

Reports compute exact quantiles from it instead of bucket estimates; the runner tails it for
the live display and the steady-state checks. Lines are flushed at least every
``flush_every`` seconds and at close.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import Self

import msgspec

from rundir import RequestRecord
from rundir.layout import requests_file

__all__ = ["RequestLog"]


class RequestLog:
    """Appends records for one Locust process (whoever opens it closes it)."""

    def __init__(self, run_dir: Path, *, worker: str, flush_every: float = 0.25) -> None:
        self.path = requests_file(run_dir, worker)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("ab")
        self._encoder = msgspec.json.Encoder()
        self._flush_every = flush_every
        self._last_flush = time.monotonic()
        self.count = 0

    def write(self, record: RequestRecord) -> None:
        self._file.write(self._encoder.encode(record) + b"\n")
        self.count += 1
        now = time.monotonic()
        if now - self._last_flush >= self._flush_every:
            self._file.flush()
            self._last_flush = now

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
