"""The "LLM stream SLIs" section as rows of text every renderer shares (same digits)."""

from __future__ import annotations

from reports.model import LlmCheck, Report, StreamSli
from reports.render.format import percent, seconds

__all__ = ["CHECK_MARK", "HEADER", "ITL_NOTE", "check_value", "stream_rows"]

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
