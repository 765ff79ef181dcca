"""Several short runs on one fresh stack: what ``chaoslab spof`` and ``capacity`` do.

A campaign brings one stack up (always a fresh one: it will lose components on purpose),
runs generated scenarios on it one after another through ``run_experiment`` (each a normal
run directory with its report) and takes the stack down at the end, on any exit. It keeps
the total time bounded: ``fits(seconds)`` says whether one more run still ends within it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from chaoslab.run.display import LiveLine
from chaoslab.run.experiment import RunFailed, RunOptions, RunResult, run_experiment
from chaoslab.run.stackuse import StackUse, acquire
from rundir import Stack

__all__ = ["OVERHEAD_S", "Campaign"]

OVERHEAD_S = 25.0
"""What one run costs beyond its duration here: Locust's start, the first request, the
Prometheus save and the report (measured 15-25 s on the 2-core machine)."""


class Campaign:
    """``with Campaign(...) as c: c.run(name, toml_text, duration=30)``."""

    def __init__(
        self,
        phase: str,
        *,
        out: Path,
        seed: int,
        budget_s: float,
        backend: str = "local",
        console: Any = None,
        command: tuple[str, ...] = (),
    ) -> None:
        self.phase = phase
        self.out = out
        self.seed = seed
        self.backend = backend
        self.console = console
        self.command = command
        self.started = time.monotonic()
        self.deadline = self.started + budget_s
        self._use: StackUse | None = None

    @property
    def stack(self) -> Stack:
        assert self._use is not None, "use the campaign as a context manager"
        return self._use.stack

    @property
    def stack_dir(self) -> Path:
        assert self._use is not None, "use the campaign as a context manager"
        return self._use.stack_dir

    def __enter__(self) -> Campaign:
        from lab.phases import get_phase

        get_phase(self.phase)  # an unknown phase: one line before anything starts
        self.out.mkdir(parents=True, exist_ok=True)
        self._say(f"bringing up a fresh {self.phase.upper()} stack")
        self._use = acquire(self.phase, backend=self.backend, seed=self.seed, fresh=True,
                            stack_dir=None)  # fmt: skip
        self._say(f"stack up in {self.elapsed():.0f} s: {self._use.stack_dir}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._use is not None:
            self._say(f"taking the {self.phase.upper()} stack down")
            self._use.release()
            self._use = None

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def fits(self, duration: float) -> bool:
        """Whether one more run of ``duration`` seconds ends within the time bound."""
        return time.monotonic() + duration + OVERHEAD_S <= self.deadline

    def run(self, name: str, scenario_text: str, *, duration: float) -> RunResult:
        """Write the scenario, run it on the campaign's stack into ``OUT/name``."""
        scenario_dir = self.out / "scenarios"
        scenario_dir.mkdir(parents=True, exist_ok=True)
        path = scenario_dir / f"{name}.toml"
        path.write_text(scenario_text, encoding="utf-8")
        options = RunOptions(phase=self.phase, scenario=str(path), duration=duration,
                             seed=self.seed, out=self.out / name, stack_dir=self.stack_dir,
                             backend=self.backend, command=self.command,
                             workers=None)  # fmt: skip
        live = LiveLine(self.console)
        try:
            with live:
                return run_experiment(options, live=live)
        except RunFailed as error:  # an internal error inside one run: the campaign goes on
            raise RuntimeError(str(error)) from error

    def _say(self, text: str) -> None:
        if self.console is not None:
            self.console.print(text, markup=False)
