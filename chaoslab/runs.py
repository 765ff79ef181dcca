"""Run directories on disk: list them (phase, scenario, verdict, date) and prune old ones.

A run directory is a folder holding a ``stack.json`` and an ``events.jsonl`` that starts
with ``run_start``: the folders of that kind under ``.chaoslab/runs/``, and the ones a run
wrote elsewhere (``chaoslab run --out DIR``), which the runner records in
``.chaoslab/runs.jsonl``. Stack directories are not runs (``chaoslab status`` shows the
stack). Its verdict is the ``status`` of its ``report.json`` when one was rendered, else ``-``.

Pruning deletes only run directories that are folders directly inside ``.chaoslab/runs``
(never a link, never a directory recorded from ``--out``, never a run whose runner still
runs); the registry forgets entries whose directory is gone.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from lab.proc import is_ours
from rundir import Event, RunDirError, read_stack
from rundir.events import RunStart, detail
from rundir.layout import EVENTS_FILE, REPORT_FILES, RUN_REGISTRY, RUNS_DIR, STACK_FILE

__all__ = ["RunEntry", "find_runs", "prune_runs", "record_run", "runs_root"]


@dataclass(frozen=True, kw_only=True)
class RunEntry:
    path: Path
    phase: str
    scenario: str
    verdict: str
    created: float
    """When the run started (its ``run_start``)."""
    running: bool = False
    """Its runner still runs."""
    registered: bool = False
    """Written outside ``.chaoslab/runs`` (``--out``), found through the registry."""


class _Status(msgspec.Struct):
    status: str = "-"


def runs_root(lab_dir: Path) -> Path:
    return lab_dir / RUNS_DIR


def record_run(lab_dir: Path, run_dir: Path) -> None:
    """Remember a run written outside ``lab_dir/runs`` in the registry (one JSON line)."""
    if _inside(run_dir, runs_root(lab_dir)):
        return
    lab_dir.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"path": str(run_dir.resolve()), "recorded": time.time()})
    with (lab_dir / RUN_REGISTRY).open("a", encoding="utf-8") as registry:
        registry.write(line + "\n")


def _registered(lab_dir: Path) -> list[Path]:
    try:
        lines = (lab_dir / RUN_REGISTRY).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    paths = []
    for line in lines:
        try:
            paths.append(Path(json.loads(line)["path"]))
        except (ValueError, KeyError, TypeError):
            continue
    return paths


def _inside(path: Path, root: Path) -> bool:
    """``path`` is a real folder directly inside ``root`` (not a link pointing elsewhere)."""
    try:
        return (
            not path.is_symlink()
            and path.resolve().parent == root.resolve()
            and path.resolve() != root.resolve()
        )
    except OSError:
        return False


def _start(run_dir: Path) -> tuple[float, RunStart] | None:
    """When the run started and its ``run_start`` detail (the first line of its events)."""
    try:
        first = (run_dir / EVENTS_FILE).read_bytes().split(b"\n", 1)[0]
        start = msgspec.json.decode(first, type=Event)
        if start.kind != "run_start":
            return None
        return start.t, detail(start, RunStart)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError, RunDirError):
        return None


def _verdict(run_dir: Path) -> str:
    try:
        return msgspec.json.decode(
            (run_dir / REPORT_FILES["json"]).read_bytes(), type=_Status
        ).status
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return "-"


def _entry(path: Path, *, registered: bool) -> RunEntry | None:
    start = _start(path)
    if start is None or not (path / STACK_FILE).is_file():
        return None
    try:
        stack = read_stack(path)
    except RunDirError:
        return None
    t, run_start = start
    pid, began = run_start.runner_pid, run_start.runner_start
    return RunEntry(
        path=path,
        phase=stack.phase,
        scenario=run_start.scenario or "-",
        verdict=_verdict(path),
        created=t,
        running=pid is not None and began is not None and is_ours(pid, began) and not _ended(path),
        registered=registered,
    )


def _ended(run_dir: Path) -> bool:
    """Whether the run's events end with ``run_end`` (read from the file's tail only)."""
    try:
        with (run_dir / EVENTS_FILE).open("rb") as events:
            events.seek(0, 2)
            events.seek(max(0, events.tell() - 65536))
            return b'"kind":"run_end"' in events.read()
    except OSError:
        return False


def find_runs(lab_dir: Path) -> list[RunEntry]:
    """Every run under ``lab_dir/runs`` and in the registry, newest first."""
    root = runs_root(lab_dir)
    found: dict[Path, RunEntry] = {}
    candidates = [(p, False) for p in sorted(root.iterdir())] if root.is_dir() else []
    candidates += [(p, True) for p in _registered(lab_dir)]
    for path, registered in candidates:
        key = path.resolve()
        if key in found or not path.is_dir():
            continue
        entry = _entry(path, registered=registered and not _inside(path, root))
        if entry is not None:
            found[key] = entry
    return sorted(found.values(), key=lambda e: e.created, reverse=True)


def prune_runs(
    entries: Sequence[RunEntry],
    *,
    lab_dir: Path,
    keep: int,
    older_than_s: float | None = None,
    now: float | None = None,
    dry_run: bool = False,
) -> list[RunEntry]:
    """Remove all but the newest ``keep`` runs inside ``lab_dir/runs`` (and, with
    ``older_than_s``, only those older than that); returns what was (or, with ``dry_run``,
    would be) removed. Runs elsewhere and running ones are kept whatever their age."""
    clock = time.time() if now is None else now
    root = runs_root(lab_dir)
    doomed: list[RunEntry] = []
    ours = [e for e in entries if _inside(e.path, root)]
    for index, entry in enumerate(sorted(ours, key=lambda e: e.created, reverse=True)):
        if index < keep or entry.running:
            continue
        if older_than_s is not None and clock - entry.created < older_than_s:
            continue
        doomed.append(entry)
    if not dry_run:
        for entry in doomed:
            if _inside(entry.path, root):  # checked again right before: never outside
                shutil.rmtree(entry.path, ignore_errors=True)
        _forget_missing(lab_dir)
    return doomed


def _forget_missing(lab_dir: Path) -> None:
    registry = lab_dir / RUN_REGISTRY
    try:
        lines = registry.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    kept = []
    for line in lines:
        try:
            if Path(json.loads(line)["path"]).is_dir():
                kept.append(line)
        except (ValueError, KeyError, TypeError):
            continue
    registry.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
