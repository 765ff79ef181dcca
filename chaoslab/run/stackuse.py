"""Find the stack a run plays against, or bring one up (and take down only that one)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rundir import RunDirError, Stack, read_stack
from rundir.layout import STACK_FILE

__all__ = ["StackUse", "acquire"]


class StackUseError(RuntimeError):
    """No usable stack; one line naming the fix."""


@dataclass
class StackUse:
    stack: Stack
    stack_dir: Path
    brought_up: bool

    def release(self) -> None:
        """Take down the stack if this run brought it up."""
        if self.brought_up:
            from lab.stack import down

            down(self.stack_dir)
            self.brought_up = False


def _running(stack_dir: Path, *, named: bool = False) -> Stack | None:
    try:
        stack = read_stack(stack_dir)
    except RunDirError as error:
        if named and (stack_dir / STACK_FILE).exists():  # named by the user, and broken
            raise StackUseError(f"{error}; pass another stack or `chaoslab down` it") from None
        return None
    if stack.backend == "external":
        return stack
    if stack.backend == "compose":
        return stack
    from lab.stack.processes import is_ours, supervisor_of

    return stack if is_ours(*supervisor_of(stack)) else None


def acquire(
    phase: str,
    *,
    backend: str,
    seed: int,
    fresh: bool,
    stack_dir: Path | None,
    progress: Any = None,
    before_up: Callable[[], None] | None = None,
) -> StackUse:
    """The running stack (``stack_dir`` or ``.chaoslab/current``) when its phase matches;
    otherwise a new one brought up for this run (``fresh`` always brings a new one)."""
    from lab.stack import StackError, up
    from lab.stack.stackdirs import current_stack_dir, new_stack_dir

    if not fresh:
        found: Path | None = None
        with contextlib.suppress(StackError):
            found = current_stack_dir(stack_dir)
        if found is not None:
            stack = _running(found, named=stack_dir is not None)
            if stack is not None:
                if stack.phase != phase:
                    raise StackUseError(
                        f"a {stack.phase} stack runs in {found}; use --phase {stack.phase}, "
                        "`chaoslab down` it first, or pass --fresh"
                    )
                return StackUse(stack=stack, stack_dir=found, brought_up=False)
        elif stack_dir is not None:
            raise StackUseError(f"{stack_dir}: no such stack directory; check --stack")
    if before_up is not None:
        before_up()  # refuse what this stack could not play before it is brought up
    target = new_stack_dir(phase)
    stack = up(phase, backend=backend, seed=seed, stack_dir=target, progress=progress)  # type: ignore[arg-type]
    return StackUse(stack=stack, stack_dir=target, brought_up=True)
