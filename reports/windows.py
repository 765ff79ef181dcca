"""Per fault window: the SLIs inside it, and impact, mitigation and recovery times.

- impact: from the fault's start to the first client failure sent inside the window;
- mitigation: from the fault's start to the first breaker opening, failover or hedge the
  service counted (Prometheus data; at scrape resolution), or, sooner, the first answer
  another provider gave a request sent in the window (the fakes' and the client's logs: a
  hedge's or a failover's answer time), where the phase has any of them (its service flags
  ``CHAT_BREAKER_ENABLED`` / ``CHAT_FAILOVER_ENABLED`` in ``stack.json``);
- recovery: at the timeline's bin resolution, from the fault's end to the start of the
  first bin (the one holding the end, or a later one) from which every bin with requests up
  to the next fault or the run's end holds the target: its 95 % Wilson interval's upper
  bound reaches it (the steady-state checks' rule: one failure among a bin's dozens of
  requests says nothing about 99.9 %). 0 when it never dropped; null when the last bins
  still miss it (not recovered by the run's end).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import msgspec

from reports.model import FailoverTime, Timeline, WindowSli
from reports.promdata import PromData
from reports.rundata import FaultWindow
from reports.sli import sli_of
from reports.stats import wilson
from rundir import RequestRecord

__all__ = ["NOT_IN_PHASE", "RECOVERY_WINDOW_S", "answered_around", "mitigation", "recovery",
           "scale_times", "window_slis"]  # fmt: skip

RECOVERY_WINDOW_S = 10.0
_BREAKER_OPEN = {"state": "open"}


def recovery(
    timeline: Timeline, *, fault_end: float, horizon: float, target: float
) -> float | None:
    """Seconds from ``fault_end`` until every later bin holds (see the module doc); times
    are seconds from t0, as the timeline's."""
    size = timeline.bin_s
    first = max(0, math.floor(fault_end / size))
    last = min(len(timeline.t), math.ceil(horizon / size))
    holding_from: int | None = None
    for index in range(first, last):
        availability = timeline.availability[index]
        if availability is None:  # no valid request in the bin: says nothing
            continue
        failures = timeline.failures[index]
        valid = round(failures / (1.0 - availability)) if availability < 1.0 else 0
        holds = availability >= target or wilson(valid - failures, valid)[1] >= target
        if not holds:
            holding_from = None
        elif holding_from is None:
            holding_from = index
    if holding_from is None:
        return None
    return max(timeline.t[holding_from] - fault_end, 0.0)


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
    hedged = prom.first_increase(
        "chat_provider_hedges_total", after=start, where={"outcome": "secondary"}
    )
    if hedged is not None:
        found.append((hedged, "hedge answered"))
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
    timeline: Timeline,
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
            timeline, fault_end=fault.end - t0, horizon=horizon - t0, target=target
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


def answered_around(windows: list[WindowSli], failovers: Sequence[FailoverTime]) -> list[WindowSli]:
    """Each window's mitigation made sooner by the first answer another provider gave (a
    hedge's or a failover's answer, from the fakes' and the client's logs), where the
    service's counters saw it only at scrape resolution, or not at all."""
    first = {f.window: f for f in failovers if f.seconds is not None}
    out: list[WindowSli] = []
    for window in windows:
        answer = first.get(window.id)
        if (
            answer is not None
            and answer.seconds is not None
            and window.mitigation_kind != NOT_IN_PHASE
            and (window.mitigation_s is None or answer.seconds < window.mitigation_s)
        ):
            window = msgspec.structs.replace(
                window,
                mitigation_s=answer.seconds,
                mitigation_kind=f"answered by {answer.next_provider or 'another provider'}",
            )
        out.append(window)
    return out


_FOR_TIME = re.compile(r"\bfor (\d+(?:\.\d+)?) ?(s|seconds|min|minutes)\b")


def scale_times(text: str, scale: float) -> str:
    """A scenario's text with its fault durations ("for 30 s") scaled as the run scaled the
    timeline (``--duration``); latencies ("500 ms") are the fault's size and stay."""
    if abs(scale - 1.0) < 1e-9:
        return text

    def scaled(match: re.Match[str]) -> str:
        seconds = float(match[1]) * (60.0 if match[2].startswith("min") else 1.0) * scale
        return f"for {seconds:.3g} s"

    return _FOR_TIME.sub(scaled, text)
