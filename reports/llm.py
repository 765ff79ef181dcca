"""The report's LLM section: stream SLIs (TTFT, inter-token latency, tokens/s, completion)
from the client's per-request log, the fakes' view of upstream cost (``reports.upstream``)
and the LLM-aware checks (``reports.checks``), overall and per fault window.

A span with no answered stream is "not exercised"; a threshold the phase does not set is
"not applicable": neither is ever a pass. docs/reports.md and docs/report-schema.md say
the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from reports import checks
from reports.model import LlmReport, StreamSli, StreamWindow
from reports.rundata import RunData
from reports.sli import quantile_label
from reports.stats import quantile
from reports.upstream import upstream_spans
from rundir import RequestRecord

__all__ = ["llm_report", "stream_sli"]


def _answered(record: RequestRecord) -> bool:
    return record.stream and 200 <= record.status < 300


def _complete(record: RequestRecord) -> bool:
    """Whether an answered stream got its final event (older logs: by its reason)."""
    if record.stream_complete is not None:
        return record.stream_complete
    return record.reason != "stream_incomplete"


def stream_sli(records: Sequence[RequestRecord], quantiles: Sequence[float]) -> StreamSli:
    """The stream SLIs of ``records`` (any span of the run)."""
    answered = [r for r in records if _answered(r)]
    complete = sum(1 for r in answered if _complete(r))
    ttfts = sorted(r.ttft_s for r in answered if r.outcome == "good" and r.ttft_s is not None)
    itls = sorted(r.itl_p95_s for r in answered if r.itl_p95_s is not None)
    stalls = [r.itl_max_s for r in answered if r.itl_max_s is not None]
    rates = sorted(r.tokens_per_s for r in answered if r.tokens_per_s is not None)
    return StreamSli(
        streams=sum(1 for r in records if r.stream),
        answered=len(answered),
        complete=complete,
        completion_rate=complete / len(answered) if answered else None,
        ttft={quantile_label(q): quantile(ttfts, q) for q in quantiles},
        itl={quantile_label(q): quantile(itls, q) for q in quantiles},
        itl_max_s=max(stalls) if stalls else None,
        tokens_per_s_p50=quantile(rates, 0.5),
        tokens=sum(r.tokens or 0 for r in answered),
        exercised=bool(answered),
    )


def llm_report(
    run: RunData,
    records: Sequence[RequestRecord],
    *,
    availability_target: float,
    quantiles: Sequence[float],
) -> LlmReport:
    """Stream SLIs overall and per fault window, the fakes' upstream view, and every
    LLM-aware check judged against the phase's ``checks`` table."""
    faults, stack, thresholds = run.faults, run.stack, run.stack.checks
    run_end = run.end
    windows = []
    for fault in faults:
        end = min(fault.end, run_end)
        inside = [r for r in records if fault.start <= r.t < end]
        sli = stream_sli(inside, quantiles)
        windows.append(
            StreamWindow(id=fault.id, start=fault.start - run.start, end=end - run.start, sli=sli)
        )
    spans = upstream_spans(records, faults, run.upstream, run_end=run_end)
    failovers = checks.failover_times(records, faults, stack, run_end=run_end)
    breakers = checks.breaker_reactions(run.prom, faults, stack, run_end=run_end)
    limit = thresholds.burn_rate
    burn = None
    if limit is not None and limit > 0:
        burn = checks.burn_rate(
            records,
            target=availability_target,
            limit=limit,
            start=run.start,
            end=run_end,
            step=checks.step_of(run.prom),
        )
    judged = [
        *checks.attempts_checks(
            records, faults, prom=run.prom, spans=spans, thresholds=thresholds, run_end=run_end
        ),
        *checks.breaker_checks(breakers, faults, stack, thresholds=thresholds),
        *checks.failover_checks(failovers, records, faults, thresholds=thresholds, run_end=run_end),
        checks.mixed_check(records, faults, stack),
        checks.burn_check(burn),
    ]
    marked = [r for r in records if r.marks]
    return LlmReport(
        sli=stream_sli(records, quantiles),
        windows=windows,
        checks=judged,
        upstream=spans,
        failovers=failovers,
        breakers=breakers,
        burn=burn,
        marked_answers=len(marked),
        mixed_answers=sum(1 for r in marked if r.marks is not None and len(r.marks) > 1),
    )
