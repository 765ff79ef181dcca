"""Workers on other machines: their per-request records travel to the master.

A worker the runner starts writes ``RUN/load/requests-<worker>.jsonl`` itself. A worker
started by hand elsewhere (``locust -f loadtests/locustfile.py --worker --master-host H``)
has neither the load config nor the run directory: the master hands it the config with
Locust's spawn message (a custom option, ``lab_config_data``), the worker sends its records
to the master in batches (a Locust custom message, :data:`MESSAGE`), and the master appends
them to ``RUN/load/requests-<worker>.jsonl``. A worker sends its last batch before its final
stats, so the run's one count (logs = Locust's totals) holds for remote workers too.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from rundir import RequestRecord
from rundir.layout import requests_file

__all__ = ["CONFIG_OPTION", "MESSAGE", "MasterRecords", "StreamedLog", "remote_worker_name"]

MESSAGE = "chaoslab_requests"
"""The custom message a remote worker sends: ``{"worker": name, "lines": [bytes...]}``."""
CONFIG_OPTION = "lab_config_data"
"""The master's parsed option that carries the load config's JSON to every worker."""
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def remote_worker_name(pid: int) -> str:
    """``remote-<host>-<pid>``: unique per worker process, safe as a file name part."""
    return _SAFE.sub("-", f"remote-{socket.gethostname()}-{pid}")


class StreamedLog:
    """The worker's side: the request log's interface, sending batches through ``send``."""

    def __init__(self, send: Callable[[list[bytes]], None], *, flush_every: float = 0.25) -> None:
        self._send = send
        self._encoder = msgspec.json.Encoder()
        self._pending: list[bytes] = []
        self._flush_every = flush_every
        self._last_flush = time.monotonic()
        self._closed = False
        self.count = 0

    def write(self, record: RequestRecord) -> None:
        self._pending.append(self._encoder.encode(record))
        self.count += 1
        if time.monotonic() - self._last_flush >= self._flush_every:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if self._pending and not self._closed:
            lines, self._pending = self._pending, []
            self._send(lines)

    def close(self) -> None:
        self.flush()
        self._closed = True


class MasterRecords:
    """The master's side: appends each remote worker's lines to its own request log."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._files: dict[str, BinaryIO] = {}
        self.received: dict[str, int] = {}

    def receive(self, data: dict[str, Any]) -> None:
        worker = _SAFE.sub("-", str(data.get("worker") or "remote"))
        lines = [bytes(line) for line in data.get("lines") or ()]
        handle = self._files.get(worker)
        if handle is None:
            path = requests_file(self.run_dir, worker)
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("ab")
            self._files[worker] = handle
        handle.write(b"".join(line + b"\n" for line in lines))
        handle.flush()
        self.received[worker] = self.received.get(worker, 0) + len(lines)

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
