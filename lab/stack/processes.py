"""Process-group helpers for stacks described by ``stack.json`` (any process may call
them: they need only pids and start times, never the objects that started the processes).

Every signal goes through ``lab.proc``'s identity check: a recorded (pid, start) whose pid
now belongs to another process is "gone", and is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable

from lab.proc import ProcState, alive, is_ours, state
from rundir import ProcessControl, Stack, stack_token

__all__ = [
    "TOKEN_HEADER",
    "ProcState",
    "alive",
    "is_ours",
    "signal_group",
    "state",
    "stop_group",
    "supervisor_of",
    "token_header",
    "wait_gone",
]


TOKEN_HEADER = "x-chaoslab-token"  # noqa: S105 - a header's name
"""The header the supervisor's control channel and the fakes' fault API read the stack's
token from (``STACK/token``, mode 600)."""


def token_header(stack: Stack) -> dict[str, str]:
    """The header carrying the stack's token (empty when the stack has none)."""
    token = stack_token(stack)
    return {TOKEN_HEADER: token} if token else {}


def supervisor_of(stack: Stack) -> tuple[int | None, int | None]:
    """The stack's supervisor as (pid, start time); start is None when not recorded."""
    for part in stack.of_kind("supervisor"):
        if isinstance(part.control, ProcessControl):
            return part.control.pid, part.control.start
    return stack.supervisor_pid, None


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to a process group; ``False`` when the group is gone."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def wait_gone(pids: Iterable[int], timeout: float, *, starts: dict[int, int] | None = None) -> bool:
    """Wait (bounded) until every pid is gone (or, with ``starts``, replaced by another
    process); reap those that are our children."""
    pending = set(pids)
    known = starts or {}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
            if state(pid, known.get(pid)) == "gone":
                pending.discard(pid)
        if pending:
            time.sleep(0.05)
    return not pending


def stop_group(pid: int, pgid: int, *, start: int | None, timeout: float = 10.0) -> None:
    """Resume, SIGTERM, then SIGKILL after ``timeout``: the group ``pgid`` led by ``pid``,
    only while ``pid`` is still the process recorded with ``start``."""
    if not is_ours(pid, start):
        return
    starts = {pid: start} if start is not None else None
    signal_group(pgid, signal.SIGCONT)
    signal_group(pgid, signal.SIGTERM)
    if not wait_gone([pid], timeout, starts=starts):
        if is_ours(pid, start):
            signal_group(pgid, signal.SIGKILL)
        wait_gone([pid], 5.0, starts=starts)
