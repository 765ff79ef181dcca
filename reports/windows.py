"""Per fault window: the SLIs inside it, and impact, mitigation and recovery times.

- impact: from the fault's start to the first client failure sent inside the window;
- mitigation: from the fault's start to the first breaker opening or failover the service
  counted (Prometheus data; at scrape resolution), where the phase has them (its service
  flags ``CHAT_BREAKER_ENABLED`` / ``CHAT_FAILOVER_ENABLED`` in ``stack.json``);
- recovery: from the fault's end to the first moment ``r`` from which the rolling
  availability (over the last ``window_s`` seconds of requests, evaluated at every request)
  stays at or above the target until the next fault or the run's end, and that stretch is
  at least ``window_s`` long. 0 when it never dropped; null when it never recovered.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from reports.model import WindowSli
from reports.promdata import PromData
from reports.rundata import FaultWindow
from reports.sli import sli_of
from rundir import RequestRecord

__all__ = ["NOT_IN_PHASE", "RECOVERY_WINDOW_S", "mitigation", "recovery", "window_slis"]

RECOVERY_WINDOW_S = 10.0
_BREAKER_OPEN = {"state": "open"}


def recovery(
    records: Sequence[RequestRecord],
    *,
    fault_end: float,
    horizon: float,
    target: float,
    window_s: float = RECOVERY_WINDOW_S,
) -> float | None:
    """Seconds from ``fault_end`` until rolling availability holds (see the module doc)."""
    valid = [r for r in records if r.outcome != "excluded" and r.t <= horizon]
    times = [r.t for r in valid]
    prefix_good = [0]
    for record in valid:
        prefix_good.append(prefix_good[-1] + (record.outcome == "good"))
    first = bisect.bisect_left(times, fault_end)
    last_low: int | None = None
    for index in range(first, len(valid)):
        since = bisect.bisect_right(times, times[index] - window_s)
        count = index + 1 - since
        good = prefix_good[index + 1] - prefix_good[since]
        if good < target * count:
            last_low = index
    if last_low is None:
        moment = fault_end
    elif last_low + 1 < len(valid):
        moment = times[last_low + 1]
    else:
        return None
    if horizon - moment < window_s:
        return None
    return max(moment - fault_end, 0.0)


NOT_IN_PHASE = "none in this phase"


def mitigation(
    prom: PromData | None, *, start: float, end: float, applicable: bool = True
) -> tuple[float | None, str | None]:
    """Seconds from ``start`` to the first breaker opening or failover before ``end``;
    ``applicable=False`` (a phase with neither) says so instead of looking."""
    if not applicable:
        return None, NOT_IN_PHASE
    if prom is None:
        return None, None
    found: list[tuple[float, str]] = []
    opened = prom.first_increase("chat_breaker_transitions_total", after=start, where=_BREAKER_OPEN)
    if opened is not None:
        found.append((opened, "breaker opened"))
    moved = prom.first_increase("chat_provider_failovers_total", after=start)
    if moved is not None:
        found.append((moved, "failover"))
    found = [(t, kind) for t, kind in found if t <= end]
    if not found:
        return None, None
    t, kind = min(found)
    return t - start, kind


def window_slis(
    records: Sequence[RequestRecord],
    faults: Sequence[FaultWindow],
    *,
    prom: PromData | None,
    t0: float,
    run_end: float,
    target: float,
    quantiles: Sequence[float],
    window_s: float = RECOVERY_WINDOW_S,
    mitigation_applicable: bool = True,
) -> list[WindowSli]:
    """One ``WindowSli`` per fault, times relative to ``t0``."""
    out: list[WindowSli] = []
    starts = sorted(f.start for f in faults)
    for fault in faults:
        inside = [r for r in records if fault.start <= r.t < fault.end]
        failures = [r.t for r in inside if r.outcome == "failure"]
        later = [s for s in starts if s > fault.start]
        horizon = min([run_end, *later]) if later else run_end
        recovered_after = recovery(
            records, fault_end=fault.end, horizon=horizon, target=target, window_s=window_s
        )
        mitigation_s, kind = mitigation(
            prom, start=fault.start, end=fault.end, applicable=mitigation_applicable
        )
        out.append(
            WindowSli(
                id=fault.id,
                target=fault.target,
                action=fault.action,
                start=fault.start - t0,
                end=fault.end - t0,
                closed=fault.closed,
                sli=sli_of(inside, quantiles),
                impact_s=failures[0] - fault.start if failures else None,
                mitigation_s=mitigation_s,
                mitigation_kind=kind,
                recovery_s=recovered_after,
                recovered=recovered_after is not None,
                exercised=bool(inside),
            )
        )
    return out
