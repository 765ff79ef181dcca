"""Everything a report reads from a run directory, loaded once (files only, no socket).

Besides ``rundir``'s files, a report reads (all optional, documented in
docs/reports.md):

- the events' typed details (``rundir.events``): ``RunStart`` (scenario, hypothesis, seed,
  command, overrides, versions, git commit...), ``RunEnd`` (status, reason), ``FaultStart``
  (the components a fault hit), ``Check``, ``Abort``, ``Look`` (an auto run's second look);
- ``load/stats.json``: the load generator's own health, ``{"cpu_max_percent": 97.5}``;
- ``upstream/<component>.jsonl``: each fake provider's requests (``rundir.UpstreamRecord``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from reports.promdata import PromData
from rundir import (
    Event,
    RequestRecord,
    RunDirError,
    Stack,
    UpstreamRecord,
    read_events,
    read_requests,
    read_stack,
    read_upstream,
)
from rundir.events import Abort, FaultStart, Look, MachineWait, RunEnd, RunStart, detail
from rundir.layout import EVENTS_FILE, LOAD_DIR, LOAD_STATS_FILE

__all__ = ["FaultWindow", "LoadStats", "RunData", "load_run"]


class LoadStats(msgspec.Struct, frozen=True, kw_only=True):
    """What the load generator recorded about itself."""

    cpu_max_percent: float | None = None
    workers: int | None = None
    cpu_warning: str | None = None
    """Locust's own "CPU usage above 90%" warning, when a ``load/*.log`` holds one."""


class FaultWindow(msgspec.Struct, frozen=True, kw_only=True):
    """A fault from its ``fault_start`` to its ``fault_end`` (or the run's end if open)."""

    id: str
    start: float
    end: float
    target: str
    action: str
    closed: bool
    detail: FaultStart = msgspec.field(default_factory=FaultStart)


@dataclass(frozen=True, kw_only=True)
class RunData:
    run_dir: str
    stack: Stack
    events: list[Event]
    requests: list[RequestRecord]
    prom: PromData | None
    load_stats: LoadStats | None
    start: float
    end: float
    finished: bool
    """Whether a ``run_end`` event was written."""
    end_status: str
    end_reason: str
    info: RunStart
    """The ``run_start`` event's detail (defaults when the run has none)."""
    faults: list[FaultWindow]
    upstream: dict[str, list[UpstreamRecord]] = field(default_factory=dict)
    """Provider component name -> the requests its fake logged (``RUN/upstream/``)."""
    machine: MachineWait | None = None
    """How long the machine kept processes waiting during the run (``run_end``'s record)."""
    look: Look | None = None
    """An auto run's first look that went on to a second (its ``look`` event), if any."""

    @property
    def duration(self) -> float:
        return max(self.end - self.start, 0.0)

    @property
    def run_requests(self) -> list[RequestRecord]:
        """The run's requests: sent between run_start and run_end (the runner keeps the load
        a little past the end so the last counts are scraped; those are not the run's)."""
        return [r for r in self.requests if self.start <= r.t < self.end]


def load_run(run_dir: Path) -> RunData:
    """Read a run directory; ``RunDirError`` (one line) when a file is missing or bad."""
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir}: not a directory; pass a run directory (see `chaoslab runs`)")
    stack = read_stack(run_dir)
    if not (run_dir / EVENTS_FILE).is_file():
        raise RunDirError(
            f"{run_dir}: no {EVENTS_FILE}: a stack directory, not a run; make a run with "
            "`chaoslab run --phase PHASE --scenario NAME` and report on its directory"
        )
    events = sorted(read_events(run_dir), key=lambda e: e.t)
    requests = sorted(read_requests(run_dir), key=lambda r: r.t)
    try:
        prom = PromData.load(run_dir)
    except ValueError as error:
        raise RunDirError(str(error)) from None
    load_stats = _load_stats(run_dir)
    starts = [e for e in events if e.kind == "run_start"]
    ends = [e for e in events if e.kind == "run_end"]
    if starts:
        start = starts[0].t
    elif requests:
        start = requests[0].t
    else:
        start = stack.created_at
    if ends:
        end = ends[-1].t
    elif requests:
        end = max(r.t + r.latency_s for r in requests)
    else:
        end = start
    aborts = [e for e in events if e.kind == "abort"]
    looks = [detail(e, Look) for e in events if e.kind == "look"]
    machine = None
    if ends:
        run_end = detail(ends[-1], RunEnd)
        status, reason, machine = run_end.status, run_end.reason, run_end.machine
    else:
        status = "aborted" if aborts else "ok"
        reason = detail(aborts[0], Abort).reason if aborts else ""
    return RunData(
        run_dir=str(run_dir),
        stack=stack,
        events=events,
        requests=requests,
        prom=prom,
        load_stats=load_stats,
        start=start,
        end=end,
        finished=bool(ends),
        end_status=status,
        end_reason=reason,
        info=detail(starts[0], RunStart) if starts else RunStart(),
        faults=_fault_windows(events, end),
        upstream=read_upstream(run_dir),
        machine=machine,
        look=looks[0] if looks else None,
    )


_CPU_WARNINGS = ("CPU usage above", "CPU usage was too high")


def _load_stats(run_dir: Path) -> LoadStats | None:
    path = run_dir / LOAD_DIR / LOAD_STATS_FILE
    try:
        stats = msgspec.json.decode(path.read_bytes(), type=LoadStats)
    except FileNotFoundError:
        stats = None
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        raise RunDirError(f"{path}: {error}") from None
    warning = _cpu_warning(run_dir)
    if warning is None:
        return stats
    return msgspec.structs.replace(stats or LoadStats(), cpu_warning=warning)


def _cpu_warning(run_dir: Path) -> str | None:
    """The first line of Locust's logs that says its CPU was saturated."""
    for log in sorted((run_dir / LOAD_DIR).glob("*.log")):
        try:
            text = log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if any(marker in line for marker in _CPU_WARNINGS):
                return f"{log.name}: {line.strip()[:160]}"
    return None


def _fault_windows(events: list[Event], run_end: float) -> list[FaultWindow]:
    ends = {e.id: e.t for e in events if e.kind == "fault_end" and e.id is not None}
    windows: list[FaultWindow] = []
    for number, event in enumerate(e for e in events if e.kind == "fault_start"):
        fault_id = event.id if event.id is not None else f"fault-{number + 1}"
        end = ends.get(fault_id)
        windows.append(
            FaultWindow(
                id=fault_id,
                start=event.t,
                end=end if end is not None else max(run_end, event.t),
                target=event.target or "",
                action=event.action or "",
                closed=end is not None,
                detail=detail(event, FaultStart),
            )
        )
    return windows
