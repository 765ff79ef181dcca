"""Where stacks live: ``.chaoslab/`` under the working directory.

``new_run_dir(phase)`` makes ``.chaoslab/runs/<UTC time>-<phase>`` and points
``.chaoslab/current`` at it; ``current_run_dir()`` follows that link (what ``status``,
``down`` and ``run`` use without ``--run-dir``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from lab.stack.errors import StackError

__all__ = ["LAB_DIR", "current_run_dir", "new_run_dir"]

LAB_DIR = Path(".chaoslab")


def new_run_dir(phase: str, *, root: Path | None = None) -> Path:
    """A fresh run directory for ``phase``; ``current`` points at it."""
    base = (root or Path.cwd()) / LAB_DIR
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime())
    run_dir = base / "runs" / f"{stamp}-{phase}"
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = base / "runs" / f"{stamp}-{phase}-{suffix}"
    run_dir.mkdir(parents=True)
    link = base / "current"
    tmp = base / f".current-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_dir.relative_to(base))
    tmp.replace(link)
    return run_dir


def current_run_dir(run_dir: Path | None = None, *, root: Path | None = None) -> Path:
    """``run_dir`` if given, else where ``.chaoslab/current`` points; ``StackError``
    naming the fix when there is none."""
    if run_dir is not None:
        if not run_dir.is_dir():
            raise StackError(f"{run_dir}: no such run directory; check --run-dir")
        return run_dir
    link = (root or Path.cwd()) / LAB_DIR / "current"
    if not link.exists():
        raise StackError(
            f"no stack here ({link} is missing); start one with `chaoslab up` or pass --run-dir"
        )
    return link.resolve()
