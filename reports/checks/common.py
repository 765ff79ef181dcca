"""What every LLM-aware check shares: the phase's threshold, the verdict shapes, which
providers a fault took out, and the scrape interval of the saved series."""

from __future__ import annotations

from collections.abc import Sequence

from reports.model import CheckState, LlmCheck
from reports.promdata import PromData
from reports.rundata import FaultWindow
from rundir import Stack

__all__ = [
    "all_providers",
    "faulted_providers",
    "in_window",
    "judge",
    "not_judged",
    "step_of",
    "taking_out",
]


def judge(
    name: str,
    title: str,
    window: str | None,
    *,
    value: float | None,
    limit: float,
    passed: bool,
    reason: str,
) -> LlmCheck:
    return LlmCheck(
        name=name,
        title=title,
        window=window,
        state="pass" if passed else "fail",
        value=value,
        threshold=limit,
        reason="" if passed else reason,
    )


def not_judged(
    name: str,
    title: str,
    window: str | None,
    state: CheckState,
    reason: str,
    *,
    threshold: float | None = None,
    value: float | None = None,
) -> LlmCheck:
    """A check that gave no verdict: ``not_applicable`` (no threshold) or ``not_exercised``
    (with the phase's ``threshold``, and what was measured if anything)."""
    return LlmCheck(
        name=name,
        title=title,
        window=window,
        state=state,
        value=value,
        threshold=threshold,
        reason=reason,
    )


def in_window(window: str | None) -> str:
    return f" in fault window {window}" if window else ""


def faulted_providers(fault: FaultWindow, stack: Stack) -> set[str]:
    """The provider names (as the service's chain knows them) whose fake the fault hit."""
    hit = set(fault.detail.components)
    return {
        part.provider
        for part in stack.of_kind("provider")
        if part.name in hit and part.provider is not None
    }


def taking_out(faults: Sequence[FaultWindow]) -> list[FaultWindow]:
    """The faults that took their targets out, on which a failover and an open breaker are
    due; not those that only degraded them (a slow tail, a share of errors: ``takes_out``
    false). Runs recorded before ``takes_out`` count every fault."""
    return [f for f in faults if f.detail.takes_out is not False]


def all_providers(stack: Stack) -> set[str]:
    return {p.provider for p in stack.of_kind("provider") if p.provider is not None}


def step_of(prom: PromData | None) -> float:
    """The scrape interval (the saved series' step), 1 s when unknown (the local backend)."""
    if prom is not None:
        steps = [r.step for r in prom.results.values() if r.step > 0]
        if steps:
            return min(steps)
    return 1.0
