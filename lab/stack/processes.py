"""Process-group helpers for stacks described by ``stack.json`` (any process may call
them: they need only pids, never the objects that started the processes)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

__all__ = ["ProcState", "alive", "signal_group", "state", "stop_group", "wait_gone"]

ProcState = Literal["running", "frozen", "gone"]


def state(pid: int) -> ProcState:
    """``running``, ``frozen`` (stopped by SIGSTOP) or ``gone`` (no such process or a
    zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return "gone"
        except PermissionError:
            return "running"
        return "running"
    code = stat.rpartition(")")[2].split()[0]
    if code in ("Z", "X"):
        return "gone"
    if code in ("T", "t"):
        return "frozen"
    return "running"


def alive(pid: int | None) -> bool:
    return pid is not None and state(pid) != "gone"


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to a process group; ``False`` when the group is gone."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def wait_gone(pids: Iterable[int], timeout: float) -> bool:
    """Wait (bounded) until every pid is gone; reap those that are our children."""
    pending = set(pids)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
            if state(pid) == "gone":
                pending.discard(pid)
        if pending:
            time.sleep(0.05)
    return not pending


def stop_group(pid: int, pgid: int, *, timeout: float = 10.0) -> None:
    """Resume, SIGTERM, then SIGKILL after ``timeout``: the group ``pgid`` led by ``pid``."""
    if not alive(pid):
        return
    signal_group(pgid, signal.SIGCONT)
    signal_group(pgid, signal.SIGTERM)
    if not wait_gone([pid], timeout):
        signal_group(pgid, signal.SIGKILL)
        wait_gone([pid], 5.0)
