"""What a run registers on its stack, and how it is removed: at the run's end, and after a
killed runner by the next run or by ``chaoslab down``.

A run registers two things on the stack directory:

- its scrape targets, ``STACK/scrape/<run>-runner.json`` and ``<run>-<worker>.json``
  (Prometheus's ``file_sd``): left behind, Prometheus keeps scraping a dead target and
  every later report on the stack is invalid;
- its line in ``STACK/experiments.txt``: the run directory whose ``events.jsonl`` holds the
  undo steps of its open faults.

``unregister(stack_dir, run_dir)`` removes a run's own registrations (its end, any exit).
``cleanup_runs(stack_dir)`` reverts every fault still open in the listed runs whose runner
is gone, stops the Locust processes they left, and removes their registrations; the run
that holds the stack's runner lock (``lab.stack.runlock``) is left alone. Idempotent; never
raises for a stack directory without runs.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from chaoslab.run.locust import stop_leftover_load
from lab.stack.runlock import holder
from rundir import Stack
from rundir.layout import RUNS_FILE, SCRAPE_DIR, scrape_file
from scenarios.injector import revert_open_faults, runner_alive

__all__ = ["cleanup_runs", "listed_runs", "register", "unregister"]


def listed_runs(stack_dir: Path) -> list[Path]:
    """The run directories listed in ``STACK/experiments.txt``, in order, once each."""
    try:
        lines = (stack_dir / RUNS_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return list(dict.fromkeys(Path(line.strip()) for line in lines if line.strip()))


def _write_runs(stack_dir: Path, runs: list[Path]) -> None:
    path = stack_dir / RUNS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{run}\n" for run in runs), encoding="utf-8")
    tmp.replace(path)


def register(stack_dir: Path, run_dir: Path) -> None:
    """List ``run_dir`` on the stack (before its first fault can start)."""
    with (stack_dir / RUNS_FILE).open("a", encoding="utf-8") as runs:
        runs.write(f"{run_dir}\n")


def _remove_scrape_files(stack_dir: Path, run_name: str) -> list[str]:
    removed = []
    directory = stack_dir / SCRAPE_DIR
    for path in directory.glob(scrape_file(directory, f"{run_name}-*").name):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path.name)
    return removed


def unregister(stack_dir: Path, run_dir: Path) -> None:
    """Remove ``run_dir``'s scrape targets and its line in ``experiments.txt`` (once its
    faults are rolled back)."""
    _remove_scrape_files(stack_dir, run_dir.name)
    runs = listed_runs(stack_dir)
    if run_dir in runs:
        with contextlib.suppress(OSError):
            _write_runs(stack_dir, [run for run in runs if run != run_dir])


def cleanup_runs(stack_dir: Path, *, stack: Stack | None = None) -> list[str]:
    """Undo what killed runners left on the stack; one line per thing done."""
    done = [f"reverted fault {item}" for item in revert_open_faults(stack_dir, stack=stack)]
    running = holder(stack_dir)
    live = Path(str(running["run_dir"])).name if running else None
    runs = listed_runs(stack_dir)
    dead = [run for run in runs if run.name != live and not runner_alive(run)]
    done += [f"stopped leftover Locust process {pid}" for pid in stop_leftover_load(dead)]
    for path in sorted((stack_dir / SCRAPE_DIR).glob("*.json")):
        if live is not None and path.name.startswith(f"{live}-"):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            done.append(f"removed scrape target {path.name} left by a run")
    if dead:
        with contextlib.suppress(OSError):
            _write_runs(stack_dir, [run for run in runs if run not in dead])
    return done
