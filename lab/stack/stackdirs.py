"""Where stacks live: ``.chaoslab/stacks/`` under the working directory.

``new_stack_dir(phase)`` makes ``.chaoslab/stacks/<UTC time>-<phase>`` and points
``.chaoslab/current`` at it; ``current_stack_dir()`` follows that link (what ``status``,
``down`` and ``run`` use without ``--stack``). Runs live beside them, in ``.chaoslab/runs/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from lab.stack.errors import StackError
from rundir.layout import CURRENT_LINK, LAB_DIR, STACKS_DIR, new_dir

__all__ = ["LAB_DIR", "current_stack_dir", "new_stack_dir"]


def new_stack_dir(phase: str, *, root: Path | None = None) -> Path:
    """A fresh stack directory for ``phase``; ``current`` points at it."""
    base = (root or Path.cwd()) / LAB_DIR
    stack_dir = new_dir(base / STACKS_DIR, phase)
    link = base / CURRENT_LINK
    tmp = base / f".{CURRENT_LINK}-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(stack_dir.relative_to(base))
    tmp.replace(link)
    return stack_dir


def current_stack_dir(stack_dir: Path | None = None, *, root: Path | None = None) -> Path:
    """``stack_dir`` if given, else where ``.chaoslab/current`` points; ``StackError``
    naming the fix when there is none."""
    if stack_dir is not None:
        if not stack_dir.is_dir():
            raise StackError(f"{stack_dir}: no such stack directory; check --stack")
        return stack_dir
    link = (root or Path.cwd()) / LAB_DIR / CURRENT_LINK
    if not link.exists():
        raise StackError(
            f"no stack here ({link} is missing); start one with `chaoslab up` or pass --stack"
        )
    return link.resolve()
