"""The run's timeline of events, from the run directory alone: what happened, when.

Sources, each optional:

- ``events.jsonl``: fault windows (on/off with the action), the abort;
- ``prom/``: breaker states per replica and provider (``chat_breaker_state``: 0 closed,
  1 half-open, 2 open), readiness (``chat_dependency_up`` per replica and dependency,
  ``chat_draining``), replica restarts (``chaoslab_restarts_total``), the standby store's
  promotion (``chaoslab_store_failovers_total``), load workers (the ``up`` series of the
  load generator's exporters: first and last scrape); all at scrape resolution;
- ``lb/haproxy.log`` (``rundir.layout.LB_LOG_FILE``): HAProxy's server down/up with the check's
  reason, and "no server available".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from reports.model import TimelineEvent
from reports.promdata import PromData, Series
from reports.rundata import RunData
from rundir.events import Abort, detail
from rundir.layout import LB_LOG_FILE

__all__ = ["BREAKER_STATES", "lb_events", "run_events"]

BREAKER_STATES = {0.0: "closed", 1.0: "half-open", 2.0: "open"}
_SERVER = re.compile(
    r"Server (?P<backend>[\w.-]+)/(?P<server>[\w.-]+) is (?P<state>DOWN|UP)"
    r"(?:, reason: (?P<reason>[^,]+))?(?:, info: \"(?P<info>[^\"]*)\")?"
    r"(?:, check duration: (?P<took>[\d.]+ms))?"
)
_NO_SERVER = re.compile(r"backend '?(?P<backend>[\w.-]+)'? has no server available")


def run_events(run: RunData) -> list[TimelineEvent]:
    """Every event of the run, in time order (seconds from its start)."""
    t0 = run.start
    out: list[TimelineEvent] = []
    for fault in run.faults:
        out.append(_event(fault.start - t0, "fault_start", fault.id, "on",
                          f"{fault.action} on {fault.target}", "events"))  # fmt: skip
        if fault.closed:
            out.append(_event(fault.end - t0, "fault_end", fault.id, "off", fault.action,
                              "events"))  # fmt: skip
    for event in run.events:
        if event.kind == "abort":
            out.append(_event(event.t - t0, "abort", "run", "aborted",
                              detail(event, Abort).reason, "events"))  # fmt: skip
    if run.prom is not None:
        out += _prom_events(run.prom, t0)
    out += lb_events(Path(run.run_dir) / LB_LOG_FILE, t0)
    low, high = -5.0, run.duration + 5.0
    return sorted((e for e in out if low <= e.t <= high), key=lambda e: (e.t, e.kind))


def _event(
    t: float, kind: str, subject: str, state: str, detail: str, source: str
) -> TimelineEvent:
    return TimelineEvent(t=round(t, 3), kind=kind, subject=subject, state=state,
                         detail=detail, source=source)  # fmt: skip


def _changes(series: Series) -> Iterable[tuple[float, float, float]]:
    """``(t, before, after)`` at each sample whose value differs from the previous one."""
    for (_, before), (t, after) in zip(series.points, series.points[1:], strict=False):
        if after != before:
            yield t, before, after


def _prom_events(prom: PromData, t0: float) -> list[TimelineEvent]:
    out: list[TimelineEvent] = []
    for s in prom.series("chat_breaker_state"):
        who = f"{s.labels.get('instance', '?')} → {s.labels.get('provider', '?')}"
        for t, before, after in _changes(s):
            state = BREAKER_STATES.get(after, f"{after:g}")
            was = BREAKER_STATES.get(before, f"{before:g}")
            out.append(_event(t - t0, "breaker", who, state, f"was {was}", "prom"))
    for s in prom.series("chat_dependency_up"):
        who = f"{s.labels.get('instance', '?')} · {s.labels.get('dependency', '?')}"
        for t, _, after in _changes(s):
            out.append(_event(t - t0, "readiness", who, "up" if after else "down",
                              "dependency probe", "prom"))  # fmt: skip
    for s in prom.series("chat_draining"):
        for t, _, after in _changes(s):
            out.append(_event(t - t0, "readiness", s.labels.get("instance", "?"),
                              "draining" if after else "serving", "", "prom"))  # fmt: skip
    for s in prom.series("chaoslab_restarts_total"):
        for t, before, after in _changes(s):
            if after > before:
                out.append(_event(t - t0, "restart", s.labels.get("component", "?"),
                                  "restarted", "by the supervisor", "prom"))  # fmt: skip
    for s in prom.series("chaoslab_store_failovers_total"):
        for t, before, after in _changes(s):
            if after > before:
                out.append(_event(t - t0, "promotion", "standby store", "promoted",
                                  "store failover", "prom"))  # fmt: skip
    out += _workers(prom, t0)
    return out


def _workers(prom: PromData, t0: float) -> list[TimelineEvent]:
    """Load generator exporters (``job`` ``chaoslab-load``): first and last scrape of each."""
    out: list[TimelineEvent] = []
    for s in prom.series("up", lambda labels: "load" in labels.get("job", "")):
        if not s.points:
            continue
        who = s.labels.get("worker") or s.labels.get("instance", "load")
        out.append(_event(s.points[0][0] - t0, "worker", who, "joined", "", "prom"))
        out.append(_event(s.points[-1][0] - t0, "worker", who, "last seen", "", "prom"))
    return out


def lb_events(path: Path, t0: float) -> list[TimelineEvent]:
    """HAProxy's server state changes and "no server available" from its log copy."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out: list[TimelineEvent] = []
    for line in text.splitlines():
        stamp, _, message = line.partition(" ")
        try:
            t = datetime.fromisoformat(stamp).timestamp() - t0
        except ValueError:
            continue
        if (match := _SERVER.search(message)) is not None:
            reason = ", ".join(
                p for p in (match["reason"], match["info"], match["took"] and f"check took "
                            f"{match['took']}") if p
            )  # fmt: skip
            state = match["state"].lower()
            out.append(_event(t, "lb_server", match["server"], state, reason, "lb"))
        elif (match := _NO_SERVER.search(message)) is not None:
            out.append(_event(t, "lb_backend", match["backend"], "no server available",
                              "every server is down: the load balancer answers 503 itself",
                              "lb"))  # fmt: skip
    return out
