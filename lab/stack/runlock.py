"""One runner per stack: an ``fcntl.flock`` on ``STACK/runner.lock`` held for a run's life.

``RunnerLock.take(stack_dir, run_dir=...)`` takes the lock without waiting or raises
``RunnerBusy`` naming the run that holds it; the kernel releases the lock when the
holder's file descriptor closes, so a runner killed with SIGKILL never leaves it taken
(the file itself stays, harmless). The holder writes who it is into the file (run
directory, pid, start time), so the refusal and ``chaoslab status`` can name it; nobody
else ever needs the lock to read that.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path

from lab.proc import is_ours, start_time
from lab.stack.errors import StackError
from rundir.layout import RUNNER_LOCK_FILE

__all__ = ["LOCK_FILE", "RunnerBusy", "RunnerLock", "holder"]

LOCK_FILE = RUNNER_LOCK_FILE


class RunnerBusy(StackError):
    """Another run holds the stack; the message is one line naming it."""


def holder(stack_dir: Path) -> dict[str, object] | None:
    """Who holds the stack's runner lock (run_dir, pid, start, t), when that process still
    lives; None otherwise. Read-only: never takes the lock."""
    try:
        data = json.loads((stack_dir / LOCK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid, start = data.get("pid"), data.get("start")
    if not isinstance(pid, int) or not isinstance(start, int) or not is_ours(pid, start):
        return None
    return data


class RunnerLock:
    """Held from ``take`` to ``release`` (or the holder's death)."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def take(cls, stack_dir: Path, *, run_dir: Path) -> RunnerLock:
        path = stack_dir / LOCK_FILE
        stack_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            other = holder(stack_dir) or {}
            who = f"{other.get('run_dir', 'another run')} (pid {other.get('pid', '?')})"
            raise RunnerBusy(
                f"a run is in progress on {stack_dir}: {who}; wait for it to end, or "
                "use another stack (--fresh)"
            ) from None
        me = os.getpid()
        record = {"run_dir": str(run_dir), "pid": me, "start": start_time(me), "t": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        return cls(fd, path)

    def release(self) -> None:
        """Give the lock up (idempotent); the record is cleared first."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing releases the flock
