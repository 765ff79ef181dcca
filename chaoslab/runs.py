"""Run directories on disk: list them (phase, scenario, verdict, date) and prune old ones.

A run directory is any folder under ``.chaoslab/runs/`` holding a ``stack.json``. Its
verdict is the ``status`` of its ``report.json`` when one was rendered, else ``-``.
Pruning never removes the directory ``.chaoslab/current`` points at, nor a stack's own
directory (no run in it) whose supervisor is still alive (``chaoslab down`` it first).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from lab.stack.processes import is_ours, supervisor_of
from rundir import RunDirError, read_stack
from rundir.layout import CURRENT_LINK, EVENTS_FILE, REPORT_FILES, RUNS_DIR, STACK_FILE

__all__ = ["RunEntry", "find_runs", "prune_runs", "runs_root"]


@dataclass(frozen=True, kw_only=True)
class RunEntry:
    path: Path
    phase: str
    scenario: str
    verdict: str
    created: float
    """When the run started (its ``run_start``), else when its stack was made."""
    alive: bool
    """A stack's own directory (no run in it) whose supervisor still runs."""
    current: bool


class _Status(msgspec.Struct):
    status: str = "-"


class _Start(msgspec.Struct):
    t: float
    kind: str
    detail: dict[str, object] = msgspec.field(default_factory=dict)


def runs_root(lab_dir: Path) -> Path:
    return lab_dir / RUNS_DIR


def _start(run_dir: Path) -> tuple[float | None, str]:
    """The run's start time and scenario from its ``run_start`` event (first line)."""
    try:
        first = (run_dir / EVENTS_FILE).read_bytes().split(b"\n", 1)[0]
        start = msgspec.json.decode(first, type=_Start)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None, "-"
    if start.kind != "run_start":
        return None, "-"
    return start.t, str(start.detail.get("scenario") or "-")


def _verdict(run_dir: Path) -> str:
    try:
        return msgspec.json.decode(
            (run_dir / REPORT_FILES["json"]).read_bytes(), type=_Status
        ).status
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return "-"


def find_runs(lab_dir: Path) -> list[RunEntry]:
    """Every run directory under ``lab_dir/runs``, newest first."""
    root = runs_root(lab_dir)
    if not root.is_dir():
        return []
    link = lab_dir / CURRENT_LINK
    current = link.resolve() if link.exists() else None
    entries: list[RunEntry] = []
    for path in root.iterdir():
        if not (path / STACK_FILE).is_file():
            continue
        try:
            stack = read_stack(path)
        except RunDirError:
            continue
        started, scenario = _start(path)
        entries.append(
            RunEntry(
                path=path,
                phase=stack.phase,
                scenario=scenario,
                verdict=_verdict(path),
                created=started or stack.created_at or path.stat().st_mtime,
                alive=started is None and is_ours(*supervisor_of(stack)),
                current=current is not None and path.resolve() == current,
            )
        )
    return sorted(entries, key=lambda e: e.created, reverse=True)


def prune_runs(
    entries: Sequence[RunEntry],
    *,
    keep: int,
    older_than_s: float | None = None,
    now: float | None = None,
    dry_run: bool = False,
) -> list[RunEntry]:
    """Remove all but the newest ``keep`` runs (and, with ``older_than_s``, only those
    older than that); returns what was (or, with ``dry_run``, would be) removed."""
    clock = time.time() if now is None else now
    doomed: list[RunEntry] = []
    for index, entry in enumerate(sorted(entries, key=lambda e: e.created, reverse=True)):
        if index < keep or entry.current or entry.alive:
            continue
        if older_than_s is not None and clock - entry.created < older_than_s:
            continue
        doomed.append(entry)
    if not dry_run:
        for entry in doomed:
            shutil.rmtree(entry.path, ignore_errors=True)
    return doomed
