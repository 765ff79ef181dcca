"""What ``chaoslab down`` (or the next run) calls to clean up after killed runners.

``cleanup_runs(stack_dir)`` reverts every fault still open in the events of the runs that
used the stack (``experiments.txt``) and stops the Locust processes a killed runner left;
runs whose runner is still alive are left alone. Idempotent; never raises for a stack
directory without runs.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from chaoslab.run.locust import stop_leftover_load
from rundir.layout import RUNS_FILE
from scenarios.injector import revert_open_faults, runner_alive

__all__ = ["cleanup_runs"]


def cleanup_runs(stack_dir: Path) -> list[str]:
    """Revert open faults and stop leftover load; one line per thing done."""
    done = [f"reverted fault {item}" for item in revert_open_faults(stack_dir)]
    runs: list[Path] = []
    with contextlib.suppress(OSError):
        listed = (stack_dir / RUNS_FILE).read_text(encoding="utf-8").split()
        runs = [Path(line) for line in listed if not runner_alive(Path(line))]
    done += [f"stopped leftover Locust process {pid}" for pid in stop_leftover_load(runs)]
    return done
