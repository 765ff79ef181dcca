"""After the load stopped: copy the fakes' and the load balancer's logs of the run window
into the run directory, save Prometheus's series, and render the report.

A missing dependency here is an error (an ``ImportError`` goes up to the runner as an
internal error): a run never ends with its report silently missing."""

from __future__ import annotations

import time
from pathlib import Path

from chaoslab.run.collect import save
from chaoslab.run.lblog import collect_lb_log
from chaoslab.run.upstream import collect_upstream
from reports import ReportResult, render_all
from rundir import Stack, read_events

__all__ = ["collect_and_render", "run_window"]


def run_window(run_dir: Path, *, duration_s: float) -> tuple[float, float]:
    """The run's ``run_start`` and ``run_end`` times (now and now - duration when absent)."""
    events = read_events(run_dir)
    starts = [e.t for e in events if e.kind == "run_start"]
    ends = [e.t for e in events if e.kind == "run_end"]
    now = time.time()
    return (starts[0] if starts else now - duration_s), (ends[-1] if ends else now)


def collect_and_render(
    stack: Stack, run_dir: Path, *, duration_s: float, report: bool
) -> ReportResult | None:
    """The run's own logs always (a later ``chaoslab report`` reads them); with ``report``,
    Prometheus's series and the report too (``None`` without)."""
    start, end = run_window(run_dir, duration_s=duration_s)
    collect_upstream(stack, run_dir, start=start, end=end)
    collect_lb_log(stack, run_dir, start=start, end=end)
    if not report:
        return None
    save(stack, run_dir, start=start, end=end)
    # the gate setting is read from run_start, as `chaoslab report` reads it later
    return render_all(run_dir)
