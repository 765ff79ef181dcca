"""The external backend (a file of URLs -> stack.json); built in a later step."""

from __future__ import annotations

from pathlib import Path

from lab.rundir import Stack
from lab.stack.errors import StackError

__all__ = ["describe"]


def describe(
    phase: str, path: Path, *, run_dir: Path, seed: int = 0, allow_remote: bool = False
) -> Stack:
    raise StackError("the external backend is not built yet; use --backend local")
