"""The "LLM stream SLIs" section as rows of text every renderer shares (same digits)."""

from __future__ import annotations

from reports.model import LlmCheck, Report, StreamSli, UpstreamSpan
from reports.render.format import percent, seconds

__all__ = [
    "CHECK_MARK",
    "HEADER",
    "ITL_NOTE",
    "UPSTREAM_HEADER",
    "UPSTREAM_NOTE",
    "check_value",
    "reaction_lines",
    "stream_rows",
    "upstream_rows",
]

CHECK_MARK = {
    "pass": "pass",
    "fail": "FAIL",
    "not_applicable": "not applicable",
    "not_exercised": "not exercised",
}
HEADER = (
    "span", "streams", "TTFT p50 / p95 / p99", "ITL p50 / p95 / p99", "longest gap",
    "tokens/s p50", "completion",
)  # fmt: skip
ITL_NOTE = (
    "TTFT over good streams; ITL (inter-token latency) quantiles over each answered "
    "stream's own p95 gap; completion = streams with their final event / streams answered 2xx"
)


def _triple(values: dict[str, float | None]) -> str:
    return " / ".join(seconds(values.get(k)) for k in ("p50", "p95", "p99"))


def _row(span: str, sli: StreamSli) -> list[str]:
    if not sli.exercised:
        return [span, f"{sli.streams}", "not exercised", "", "", "", ""]
    rate = "—" if sli.tokens_per_s_p50 is None else f"{sli.tokens_per_s_p50:.1f}"
    return [
        span,
        f"{sli.answered} of {sli.streams}",
        _triple(sli.ttft),
        _triple(sli.itl),
        seconds(sli.itl_max_s),
        rate,
        percent(sli.completion_rate),
    ]


def stream_rows(report: Report) -> list[list[str]]:
    """The whole run, then each fault window; empty for a report without the section."""
    if report.llm is None:
        return []
    rows = [_row("whole run", report.llm.sli)]
    for w in report.llm.windows:
        rows.append(_row(f"{w.id}: {w.start:.0f}-{w.end:.0f} s", w.sli))
    return rows


def check_value(check: LlmCheck) -> str:
    measured = "—" if check.value is None else f"{check.value:.2f}"
    limit = "" if check.threshold is None else f" (limit {check.threshold:g})"
    return measured + limit


UPSTREAM_HEADER = (
    "span", "requests (reached a provider)", "attempts / request", "most attempts",
    "failed attempts", "tokens / good answer", "token amplification",
)  # fmt: skip
UPSTREAM_NOTE = (
    "counted by the fake providers themselves, per client request (the service's request id "
    "travels upstream in x-request-id); steady = outside every fault window; amplification = "
    "tokens per good answer / the steady span's"
)


def _upstream_row(span: UpstreamSpan) -> list[str]:
    name = "whole run" if span.window is None else span.window
    per = "—" if span.attempts_per_request is None else f"{span.attempts_per_request:.2f}"
    tokens = "—" if span.tokens_per_good_answer is None else f"{span.tokens_per_good_answer:.1f}"
    ratio = "—" if span.token_amplification is None else f"{span.token_amplification:.2f}x"
    most = "—" if span.max_attempts is None else str(span.max_attempts)
    return [name, f"{span.requests} ({span.reached})", per, most, str(span.failed_attempts),
            tokens, ratio]  # fmt: skip


def upstream_rows(report: Report) -> list[list[str]]:
    """The fakes' view: whole run, steady span, each fault window; empty without logs."""
    if report.llm is None:
        return []
    return [_upstream_row(s) for s in report.llm.upstream]


def reaction_lines(report: Report) -> list[str]:
    """Failover times, breaker reactions, mixed answers and the burn rate, one line each."""
    llm = report.llm
    if llm is None:
        return []
    out: list[str] = []
    for f in llm.failovers:
        if f.seconds is None:
            out.append(f"failover {f.window}: {f.provider} down, no other provider answered")
        else:
            out.append(f"failover {f.window}: {f.provider} down, first answer from "
                       f"{f.next_provider} after {seconds(f.seconds)}")  # fmt: skip
    for b in llm.breakers:
        how = (f"opened after ≤ {b.failures_at_open:g} failures" if b.opened
               and b.failures_at_open is not None else "opened" if b.opened
               else "never opened")  # fmt: skip
        out.append(f"breaker {b.window}: {b.replica} → {b.provider} {how} "
                   f"({b.failures:g} failed attempts in the window)")  # fmt: skip
    if llm.marked_answers:
        out.append(f"provider marks: {llm.marked_answers} marked answers, "
                   f"{llm.mixed_answers} mixed")  # fmt: skip
    if llm.burn is not None:
        burn = llm.burn
        peak = "—" if burn.peak is None else f"{burn.peak:.1f}x"
        out.append(f"burn rate: windows {burn.long_window_s:.0f} s / {burn.short_window_s:.0f} s "
                   f"(≥ {burn.min_requests} requests), {burn.evaluations} evaluations, "
                   f"peak {peak} (threshold {burn.threshold:g}x)")  # fmt: skip
    return out
