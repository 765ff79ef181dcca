"""Offered vs achieved rate and goodput: what the load asked for, what was sent, and how many
requests per second met every target.

Goodput is counted the way LLM serving benchmarks count it: a request is good only when it
succeeded *and* met the latency objectives (here the phase's latency target, and for a
stream also its time-to-first-token target). The targets are p95 targets for the run; per
request they are limits, so goodput is below the rate of good answers whenever a tail is
slow. Pure function of the run's records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

from reports.model import LoadRates
from rundir import RequestRecord
from rundir.events import RunPlan, RunStart

__all__ = [
    "NOT_SENT",
    "START_MARGIN",
    "START_S",
    "cli_minutes",
    "load_rates",
    "meets_targets",
    "send_seconds",
]

START_MARGIN = 1.05
"""A run planned to send N requests sends 5 % more (plus ``START_S``): the live window starts
after Locust's first answer, and a share of arrivals may end after the run's end."""
START_S = 5.0


def send_seconds(requests: int, rate: float) -> float:
    """Load time that sends ``requests`` at ``rate`` requests/s, as ``--duration auto`` plans
    it (``START_MARGIN`` more, plus ``START_S``); the report's advice on an inconclusive
    verdict uses the same."""
    return requests * START_MARGIN / rate + START_S


def cli_minutes(seconds: float) -> str:
    """``seconds`` as a ``--duration`` in whole minutes, rounded up (``8m``)."""
    return f"{math.ceil(seconds / 60.0)}m"


NOT_SENT = frozenset({"dropped_at_cap", "late"})
"""Open-model arrivals recorded as failures without a request being sent."""


def meets_targets(record: RequestRecord, *, latency_s: float, ttft_s: float) -> bool:
    """Good, within the latency limit and, for a stream, within the TTFT limit."""
    if record.outcome != "good" or record.latency_s > latency_s:
        return False
    return not record.stream or (record.ttft_s is not None and record.ttft_s <= ttft_s)


def load_rates(
    records: Sequence[RequestRecord],
    *,
    duration_s: float,
    info: RunStart,
    targets: Mapping[str, float],
) -> LoadRates:
    """The run's ``LoadRates`` from its records (those inside the run) and ``run_start``."""
    plan = info.plan or RunPlan()
    offered = info.arrival_rate
    model: Literal["open", "closed"] = "open" if offered else "closed"
    sent = sum(1 for r in records if r.reason not in NOT_SENT)
    within = sum(
        1
        for r in records
        if meets_targets(r, latency_s=targets["latency_p95_s"], ttft_s=targets["ttft_p95_s"])
    )
    valid = sum(1 for r in records if r.outcome != "excluded")

    def per_s(count: int) -> float | None:
        return count / duration_s if duration_s > 0 else None

    return LoadRates(
        model=model,
        offered_rate=float(offered) if offered else None,
        users=info.users if model == "closed" else None,
        achieved_rate=per_s(sent),
        goodput=per_s(within),
        good_within_targets=within,
        goodput_share=within / valid if valid else None,
        duration_auto=plan.auto,
        requests_needed=plan.requests_needed,
    )
