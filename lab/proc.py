"""Process identity: a pid and its start time, so a recorded process is never confused with
another that reused its pid.

Linux recycles pids (``pid_max`` may be 32768): a ``stack.json`` or an event that names a
pid from yesterday may name somebody else's process today. Everything the lab starts is
recorded with ``start_time(pid)`` (field 22 of ``/proc/<pid>/stat``, clock ticks since boot;
it never changes for a process), and ``is_ours(pid, start)`` is true only while that same
process lives. This is the one place the lab asks "is it alive?" (the stack's processes,
the supervisor, a runner, Locust); callers in ``reports`` never ask (they read files only).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

__all__ = ["ProcState", "alive", "is_ours", "start_time", "state", "state_letter"]

ProcState = Literal["running", "frozen", "gone"]


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or None."""
    if pid <= 0:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return stat.rpartition(")")[2].split()


def start_time(pid: int | None) -> int | None:
    """When ``pid`` started (clock ticks since boot), or None when it is gone (or /proc is
    not there)."""
    if pid is None:
        return None
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return None
    return int(fields[19])  # field 22 of the whole line: 20th after "(comm)"


def state_letter(pid: int) -> str:
    """The /proc state letter (R, S, T, Z...), or ``gone``."""
    fields = _stat_fields(pid)
    return fields[0] if fields else "gone"


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def state(pid: int, start: int | None = None) -> ProcState:
    """``running``, ``frozen`` (SIGSTOP) or ``gone`` (no such process, a zombie, or, with
    ``start``, another process that reused the pid)."""
    if pid <= 0:
        return "gone"
    fields = _stat_fields(pid)
    if fields is None:  # no /proc: the pid alone
        return "running" if start is None and _exists(pid) else "gone"
    if start is not None and len(fields) >= 20 and int(fields[19]) != start:
        return "gone"  # the pid now belongs to another process
    if fields[0] in ("Z", "X"):
        return "gone"
    if fields[0] in ("T", "t"):
        return "frozen"
    return "running"


def group_running(pgid: int) -> list[int]:
    """The processes of group ``pgid`` that have not exited yet (zombies have: their files,
    sockets included, are closed); empty without ``/proc``."""
    proc = Path("/proc")
    if pgid <= 0 or not proc.is_dir():
        return []
    running = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            running.append(int(entry.name))
    return running


def alive(pid: int | None, start: int | None = None) -> bool:
    """Whether ``pid`` (and, with ``start``, the very process recorded) still lives."""
    return pid is not None and state(pid, start) != "gone"


def is_ours(pid: int | None, start: int | None) -> bool:
    """Whether the process recorded as (``pid``, ``start``) still lives. Without a recorded
    start time nothing can be proven: False (never signal a process on a pid alone)."""
    return pid is not None and start is not None and state(pid, start) != "gone"
