"""LLM stream SLIs (TTFT, inter-token latency, tokens/s, completion) and LLM-aware checks.

From the client's per-request log (``RequestRecord``'s optional stream fields) and, for
``max_attempts_per_request``, the service's upstream attempts per client request. A span
with no answered stream is "not exercised"; a threshold the phase does not set is "not
applicable": neither is ever a pass. docs/reports.md and docs/report-schema.md say the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lab.rundir import RequestRecord
from reports.model import LlmCheck, LlmReport, StreamSli, StreamWindow
from reports.promdata import PromData
from reports.rundata import FaultWindow
from reports.serverside import attempts_per_request
from reports.sli import quantile_label
from reports.stats import quantile

__all__ = ["attempts_check", "attempts_checks", "llm_report", "stream_sli"]

_ATTEMPTS = "chat_upstream_attempts_per_request"


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


def attempts_check(
    *,
    phase_config: dict[str, Any],
    attempts_per_request: float | None,
    requests: int,
    window: str | None = None,
) -> LlmCheck:
    """``checks.max_attempts_per_request`` against the service's attempts per request
    (over the whole run, or inside the fault window ``window``)."""
    checks = phase_config.get("checks")
    raw = checks.get("max_attempts_per_request") if isinstance(checks, dict) else None
    threshold = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
    where = f" in fault window {window}" if window else ""
    name = "max_attempts_per_request"
    if threshold is None:
        return LlmCheck(name=name, title=f"upstream attempts per request{where}", window=window,
                        state="not_applicable", value=attempts_per_request, threshold=None,
                        reason="the phase sets no checks.max_attempts_per_request")  # fmt: skip
    title = f"upstream attempts per request ≤ {threshold:g}{where}"
    if requests == 0 or attempts_per_request is None:
        why = "no client request" if requests == 0 else "the service counted no request"
        return LlmCheck(name=name, title=title, window=window, state="not_exercised",
                        value=None, threshold=threshold, reason=why)  # fmt: skip
    passed = attempts_per_request <= threshold
    return LlmCheck(
        name=name,
        title=title,
        window=window,
        state="pass" if passed else "fail",
        value=attempts_per_request,
        threshold=threshold,
        reason="" if passed else "more upstream attempts per request than the phase allows",
    )


def attempts_checks(
    records: Sequence[RequestRecord],
    faults: Sequence[FaultWindow],
    *,
    prom: PromData | None,
    phase_config: dict[str, Any],
    run_end: float,
) -> list[LlmCheck]:
    """The attempts check over the whole run, then inside each fault window."""
    valid = [r for r in records if r.outcome != "excluded"]
    out = [
        attempts_check(phase_config=phase_config, attempts_per_request=attempts_per_request(prom),
                       requests=len(valid))
    ]  # fmt: skip
    for fault in faults:
        end = min(fault.end, run_end)
        inside = sum(1 for r in valid if fault.start <= r.t < end)
        ratio = None
        if prom is not None:
            count = prom.increase_between(f"{_ATTEMPTS}_count", fault.start, end)
            if count > 0:
                ratio = prom.increase_between(f"{_ATTEMPTS}_sum", fault.start, end) / count
        out.append(attempts_check(phase_config=phase_config, attempts_per_request=ratio,
                                  requests=inside, window=fault.id))  # fmt: skip
    return out


def llm_report(
    records: Sequence[RequestRecord],
    faults: Sequence[FaultWindow],
    *,
    t0: float,
    run_end: float,
    quantiles: Sequence[float],
    checks: Sequence[LlmCheck],
) -> LlmReport:
    """Overall and per fault window stream SLIs, with the checks already judged."""
    windows = []
    for fault in faults:
        end = min(fault.end, run_end)
        inside = [r for r in records if fault.start <= r.t < end]
        sli = stream_sli(inside, quantiles)
        windows.append(StreamWindow(id=fault.id, start=fault.start - t0, end=end - t0, sli=sli))
    return LlmReport(sli=stream_sli(records, quantiles), windows=windows, checks=list(checks))
