"""The fault injector: plays a scenario's timeline against a stack and always rolls back.

``Injector(stack, scenario, run_dir=..., seed=...)`` plans the timeline (jitter drawn from the
seed, times scaled when the run is shortened); ``tick(elapsed)`` starts and ends faults as
their times come; ``close()`` undoes every fault still active and is called on ANY exit
(end, Ctrl-C, exception, abort). Each start and end is an event in ``RUN/events.jsonl``
(``fault_start`` carries the undo steps, flushed before the harm is done), so
``revert_open_faults(run_dir)`` can undo what a killed runner left open. ``on_change`` lets
the runner export ``chaoslab_fault_active`` to Prometheus.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.proc import alive
from rundir import Event, RunDirError, Stack, append_events, read_events, read_stack
from rundir.events import Check, Detail, FaultEnd, FaultStart, Note, RunStart, detail
from rundir.events import event as new_event
from rundir.layout import RUNS_FILE
from scenarios.actions import ActionError, inflict, undo, undo_plan
from scenarios.model import Fault, Scenario
from scenarios.targets import TargetError, resolve
from scenarios.verify import took_effect

__all__ = [
    "ActiveFault",
    "Injector",
    "PlannedFault",
    "StartedFault",
    "open_faults",
    "plan",
    "revert_open_faults",
    "runner_alive",
]


@dataclass(frozen=True, slots=True)
class PlannedFault:
    """A fault with its times on this run (seconds from the run's start)."""

    id: str
    fault: Fault
    start: float
    end: float | None


@dataclass(slots=True)
class ActiveFault:
    planned: PlannedFault
    steps: list[dict[str, Any]]
    components: tuple[str, ...]
    started_at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class StartedFault:
    """A fault the injector inflicted, kept for the whole run (after it ended too)."""

    id: str
    at: float
    """When it started (Unix time, its ``fault_start`` event's: the clock of the requests'
    ``t``)."""
    components: tuple[str, ...]
    """The stack parts it hit (``FaultStart.components``)."""
    takes_out: bool | None
    """Whether it takes its targets out (``FaultStart.takes_out``)."""


def plan(
    scenario: Scenario,
    *,
    seed: int,
    duration: float | None = None,
    keep_fault_times: bool = False,
) -> list[PlannedFault]:
    """The timeline in start order. With ``duration`` different from the scenario's, every
    time scales by the same factor (a 90 s scenario run for 30 s keeps its shape); with
    ``keep_fault_times`` and a longer ``duration`` (``--duration auto``), only the steady
    spans between the faults lengthen and every fault keeps its scenario length."""
    rng = random.Random(f"timeline:{seed}")
    length = scenario.load.duration
    times: list[tuple[int, Fault, float]] = []
    for index, fault in enumerate(scenario.faults):
        jitter = rng.uniform(-fault.jitter, fault.jitter) if fault.jitter else 0.0
        times.append((index, fault, max(0.0, fault.at + jitter)))
    if keep_fault_times and duration is not None and duration > length:
        at = _stretch([(a, f.duration) for _i, f, a in times], length=length, duration=duration)
        scale = 1.0
    else:
        scale = 1.0 if duration is None else duration / length

        def at(t: float) -> float:
            return t * scale

    planned = []
    for index, fault, start_s in times:
        start = at(start_s)
        end = None if fault.duration is None else start + fault.duration * scale
        planned.append(PlannedFault(fault.name or f"fault-{index + 1}", fault, start, end))
    return sorted(planned, key=lambda p: p.start)


def _stretch(
    faults: list[tuple[float, float | None]], *, length: float, duration: float
) -> Callable[[float], float]:
    """A map of scenario time to run time that lengthens the spans no fault covers by one
    factor, so the run lasts ``duration``, and keeps the covered spans as they are."""
    spans = sorted((start, length if d is None else min(length, start + d)) for start, d in faults)
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    covered = sum(end - start for start, end in merged)
    steady = length - covered
    if steady <= 0:
        return lambda t: t
    factor = (duration - covered) / steady

    def at(t: float) -> float:
        covered_before = sum(max(0.0, min(t, end) - start) for start, end in merged)
        return t + (factor - 1.0) * (t - covered_before)

    return at


class Injector:
    """Plays the timeline; whoever creates it calls ``close()`` (or uses ``with``)."""

    def __init__(
        self,
        stack: Stack,
        scenario: Scenario,
        *,
        run_dir: Path,
        seed: int = 0,
        duration: float | None = None,
        keep_fault_times: bool = False,
        on_change: Callable[[PlannedFault, bool], None] | None = None,
    ) -> None:
        self.stack = stack
        self.run_dir = run_dir
        self.rng = random.Random(f"targets:{seed}")
        self.pending = plan(
            scenario, seed=seed, duration=duration, keep_fault_times=keep_fault_times
        )
        self.active: dict[str, ActiveFault] = {}
        self.started: list[StartedFault] = []
        """Every fault inflicted so far, in start order (active, ended or instant)."""
        self.done: list[str] = []
        self.errors: list[str] = []
        self.last_end_at = 0.0
        """When the last fault ended (Unix time; 0: none yet)."""
        self._on_change = on_change

    def tick(self, elapsed: float) -> None:
        """Start the faults due by ``elapsed`` seconds, end the ones past their end."""
        for fault_id, active in list(self.active.items()):
            end = active.planned.end
            if end is not None and elapsed >= end:
                self._end(fault_id, how="end")
        while self.pending and self.pending[0].start <= elapsed:
            self._start(self.pending.pop(0))

    def _event(self, detail: Detail, planned: PlannedFault, *, t: float | None = None) -> None:
        fault = planned.fault
        append_events(self.run_dir, [new_event(detail, t=t, id=planned.id, target=fault.target,
                                           action=fault.action)])  # fmt: skip

    def _start(self, planned: PlannedFault) -> None:
        fault = planned.fault
        try:
            target = resolve(self.stack, fault.target, rng=self.rng)
            steps = undo_plan(self.stack, fault, target, planned.id)
        except (ActionError, TargetError, OSError, ValueError) as error:
            self._failed(planned, f"{type(error).__name__}: {error}")
            return
        start = FaultStart(
            components=[part.name for part in target.components],
            proxies=[route.name for route in target.proxies],
            undo=steps,
            planned_start_s=round(planned.start, 3),
            planned_end_s=None if planned.end is None else round(planned.end, 3),
            attributes=dict(fault.attributes),
            takes_out=fault.takes_out,
        )
        at = time.time()
        self._event(start, planned, t=at)  # before the harm
        # active from here: an interrupt from now on (even inside inflict) is undone by close()
        active = ActiveFault(planned, steps, tuple(start.components), started_at=at)
        self.active[planned.id] = active
        try:
            inflict(self.stack, fault, target, planned.id)
        except ActionError as error:
            del self.active[planned.id]
            problems = undo(steps, self.stack)
            self._event(FaultEnd(how="failed", error=str(error), undo_problems=problems), planned)
            self.errors.append(f"{planned.id}: {error}")
            return
        self.started.append(StartedFault(planned.id, at, active.components, start.takes_out))
        if self._on_change:
            self._on_change(planned, True)
        evidence = took_effect(self.stack, fault, steps)
        self._event(Check(fault=planned.id, took_effect=evidence is None,
                          evidence=evidence or "confirmed"), planned)  # fmt: skip
        if not steps:  # instantaneous (restart): a window of zero length
            self._end(planned.id, how="instant")

    def _failed(self, planned: PlannedFault, error: str) -> None:
        self.errors.append(f"{planned.id}: {error}")
        self._event(Note(error=error), planned)

    def _end(self, fault_id: str, *, how: str) -> None:
        active = self.active[fault_id]
        problems = undo(active.steps, self.stack)  # interrupted here: still active, close() redoes
        del self.active[fault_id]
        self.last_end_at = time.time()
        self.errors.extend(f"{fault_id}: undo {p}" for p in problems)
        self._event(FaultEnd(how=how, undo_problems=problems), active.planned)
        self.done.append(fault_id)
        if self._on_change:
            self._on_change(active.planned, False)

    def close(self, *, how: str = "run_end") -> None:
        """Undo every active fault (idempotent); pending ones never start."""
        for fault_id in list(self.active):
            self._end(fault_id, how=how)
        self.pending.clear()

    def __enter__(self) -> Injector:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        how = "run_end" if kind is None else ("interrupt" if kind is KeyboardInterrupt else "error")
        self.close(how=how)


def runner_alive(run_dir: Path) -> bool:
    """Whether another live process is running the experiment in ``run_dir`` (its
    ``run_start`` names the runner's pid and start time, and no ``run_end`` followed)."""
    pid: int | None = None
    start: int | None = None
    for event in read_events(run_dir):
        if event.kind == "run_start":
            run_start = detail(event, RunStart)
            pid, start = run_start.runner_pid, run_start.runner_start
        elif event.kind == "run_end":
            pid = None
    if pid is None or pid == os.getpid():
        return False
    return alive(pid, start)  # with its start time: a reused pid is not the runner


def _open_faults(run_dir: Path) -> list[Event]:
    starts: dict[str, Event] = {}
    for event in read_events(run_dir):
        if event.kind == "fault_start" and event.id:
            starts[event.id] = event
        elif event.kind == "fault_end" and event.id:
            starts.pop(event.id, None)
    return list(starts.values())


def open_faults(stack_dir: Path) -> list[tuple[Path, Event, bool]]:
    """Every fault started and never ended by the runs listed in the stack's
    ``experiments.txt``: (run directory, its ``fault_start``, whether its runner still
    runs). A fault whose runner is gone is harm left on the stack."""
    found: list[tuple[Path, Event, bool]] = []
    with contextlib.suppress(OSError):
        listed = (stack_dir / RUNS_FILE).read_text(encoding="utf-8").splitlines()
        for line in dict.fromkeys(line.strip() for line in listed if line.strip()):
            directory = Path(line)
            if not directory.is_dir():
                continue
            try:
                events = _open_faults(directory)
                live = runner_alive(directory)
            except RunDirError:
                continue
            found += [(directory, event, live) for event in events]
    return found


def revert_open_faults(run_dir: Path, *, stack: Stack | None = None) -> list[str]:
    """Undo every fault started and never ended in ``run_dir``'s events, and in the events of
    every experiment listed in its ``experiments.txt`` (a stack's run directory lists the
    runs that used it). Appends the missing ``fault_end`` events; returns the ids reverted.
    Safe to call at any time, twice, or on a directory without events."""
    directories = [run_dir]
    with contextlib.suppress(OSError):
        listed = (run_dir / RUNS_FILE).read_text(encoding="utf-8").splitlines()
        directories += [Path(line) for line in listed if line.strip()]
    reverted: list[str] = []
    for directory in dict.fromkeys(directories):
        if not directory.is_dir() or runner_alive(directory):
            continue  # a live runner rolls back its own faults
        open_faults = _open_faults(directory)
        if not open_faults:
            continue
        current = stack
        if current is None:
            try:
                current = read_stack(directory)
            except RunDirError:
                current = read_stack(run_dir)
        for event in open_faults:
            problems = undo(detail(event, FaultStart).undo, current)
            end = FaultEnd(how="reverted_later", undo_problems=problems)
            append_events(directory, [new_event(end, id=event.id, target=event.target,
                                                action=event.action)])  # fmt: skip
            reverted.append(f"{directory.name}:{event.id}")
    return reverted
