"""The compose backend (files for Docker Compose per phase); built in a later step."""

from __future__ import annotations

from pathlib import Path

from lab.rundir import Stack
from lab.stack.errors import StackError

__all__ = ["up_compose"]


def up_compose(phase: str, *, run_dir: Path, seed: int = 0) -> Stack:
    raise StackError("the compose backend is not built yet; use --backend local")
