"""``mixed_answers``: no answer holds text from two providers (each lab fake marks the tokens
it serves; the client records the marks of every answer). No threshold: every phase."""

from __future__ import annotations

from collections.abc import Sequence

from reports.checks.common import faulted_providers, judge, not_judged
from reports.model import LlmCheck
from reports.rundata import FaultWindow
from rundir import RequestRecord, Stack

__all__ = ["mixed_check"]


def mixed_check(
    records: Sequence[RequestRecord], faults: Sequence[FaultWindow], stack: Stack
) -> LlmCheck:
    """No answer mixes text from two providers. Exercised once answers came from two
    providers, or a fault hit a provider while marked answers flowed."""
    name = "mixed_answers"
    title = "no answer mixes text from two providers"
    marked = [r for r in records if r.marks]
    if not marked:
        return not_judged(
            name,
            title,
            None,
            "not_exercised",
            "no answer carried provider marks (unmarked providers)",
        )
    mixed = [r for r in marked if r.marks is not None and len(r.marks) > 1]
    seen = {m for r in marked for m in r.marks or ()}
    in_fault = any(
        fault.start <= r.t < fault.end
        for fault in faults
        if faulted_providers(fault, stack)
        for r in marked
    )
    if not mixed and len(seen) < 2 and not in_fault:
        return not_judged(
            name,
            title,
            None,
            "not_exercised",
            "every answer came from one provider and no fault hit a provider",
        )
    first = mixed[0] if mixed else None
    reason = (
        ""
        if first is None
        else (
            f"{len(mixed)} of {len(marked)} answers mixed providers' text "
            f"(first: request {first.request_id or '?'}, marks {list(first.marks or ())})"
        )
    )
    return judge(
        name, title, None, value=float(len(mixed)), limit=0.0, passed=not mixed, reason=reason
    )
