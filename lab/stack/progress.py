"""Progress of ``up``: one ``Step`` per component state change.

The supervisor process appends them to ``STACK/progress.jsonl``; the ``up`` that spawned it
tails that file and hands each step to its ``progress`` callback (the CLI's display).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import msgspec

from rundir.layout import PROGRESS_FILE

__all__ = ["Progress", "Step", "StepWriter", "read_steps"]

StepState = Literal["starting", "ready", "failed", "info", "done"]


class Step(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    name: str
    state: StepState
    detail: str = ""
    t: float = 0.0


Progress = Callable[[Step], None]


class StepWriter:
    """A ``Progress`` that appends each step to ``STACK/progress.jsonl`` (and forwards it)."""

    def __init__(self, stack_dir: Path, forward: Progress | None = None) -> None:
        self.path = stack_dir / PROGRESS_FILE
        self.forward = forward
        self._encoder = msgspec.json.Encoder()

    def __call__(self, step: Step) -> None:
        if not step.t:
            step = msgspec.structs.replace(step, t=time.time())
        with self.path.open("ab") as out:
            out.write(self._encoder.encode(step) + b"\n")
        if self.forward is not None:
            self.forward(step)


def read_steps(stack_dir: Path, *, offset: int = 0) -> tuple[list[Step], int]:
    """Complete steps written after byte ``offset``, and the offset after them."""
    try:
        data = (stack_dir / PROGRESS_FILE).read_bytes()[offset:]
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1
    decoder = msgspec.json.Decoder(Step)
    steps = [decoder.decode(line) for line in data[:end].splitlines() if line.strip()]
    return steps, offset + end
