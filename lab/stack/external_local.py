"""The external backend's local part: the lab's own Prometheus beside a stack that runs
elsewhere, owned by the same supervisor as a local stack.

It scrapes every component of the targets file that has a ``metrics_url`` (job = kind,
instance = name) and everything announced in ``STACK/scrape/`` (the load generator's
workers, the runner), evaluates the phase's rules, and is the ``prometheus_url`` of
``stack.json`` (the file's own Prometheus stays in ``phase_config.external.prometheus``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.binaries import BinaryNotFound, find
from lab.phases import Phase
from lab.stack.errors import StackError
from lab.stack.external import external_components, external_stack, load_external
from lab.stack.local import LocalStack
from rundir import Component, Stack
from rundir.layout import TOKEN_FILE

__all__ = ["ExternalStack"]


class ExternalStack(LocalStack):
    """A ``LocalStack`` whose only part is Prometheus; the rest is the targets file."""

    def __init__(
        self, phase: Phase, *, targets_file: Path, allow_remote: bool = False, **kwargs: Any
    ) -> None:
        self.targets_file = targets_file
        self.targets, self.api_key = load_external(targets_file, allow_remote=allow_remote)
        super().__init__(phase, **kwargs)

    def _plan(self) -> None:
        self._plan_prometheus()

    @property
    def front_door(self) -> str:
        return self.targets.front_door

    def components(self) -> list[Component]:
        return external_components(self.targets) + super().components()

    def check_binaries(self) -> None:
        try:
            find("prometheus")
        except BinaryNotFound as missing:
            raise StackError(str(missing)) from None

    def snapshot(self) -> Stack:
        with self.lock:
            return external_stack(
                self.phase,
                self.targets,
                self.api_key,
                path=self.targets_file,
                stack_dir=self.stack_dir,
                seed=self.seed,
                components=self.components(),
                prometheus_url=self.parts["prometheus"].url,
                supervisor_pid=self._supervisor_pid(),
                token_file=str(self.stack_dir / TOKEN_FILE),
            )
