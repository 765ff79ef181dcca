"""What the client's requests cost upstream, as the fake providers counted it.

Each fake logs every request it got with the service's request id (``RUN/upstream/``), and
the client logs the same id for every answer, so attempts per client request, the worst
request's attempts and the tokens served per good answer are counted by the providers
themselves: no per-request metric label, no trust in the service's own accounting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from reports.model import UpstreamSpan
from reports.rundata import FaultWindow
from rundir import RequestRecord, UpstreamRecord

__all__ = ["FAILED_OUTCOMES", "STEADY", "upstream_spans"]

STEADY = "steady"
"""The span outside every fault window (the baseline amplification is measured against)."""
FAILED_OUTCOMES = frozenset({"error", "reset", "hang", "stream_fault"})
"""Fake outcomes that mean the attempt failed the service (``rejected`` is the caller's)."""


class _Attempts:
    __slots__ = ("count", "failed", "tokens")

    def __init__(self) -> None:
        self.count = 0
        self.failed = 0
        self.tokens = 0


def _by_request(upstream: Mapping[str, Sequence[UpstreamRecord]]) -> dict[str, _Attempts]:
    out: dict[str, _Attempts] = {}
    for lines in upstream.values():
        for line in lines:
            if not line.rid:
                continue
            seen = out.get(line.rid)
            if seen is None:
                seen = out[line.rid] = _Attempts()
            seen.count += 1
            seen.failed += line.outcome in FAILED_OUTCOMES
            seen.tokens += line.completion_tokens
    return out


def _span(
    window: str | None, records: Sequence[RequestRecord], attempts: Mapping[str, _Attempts]
) -> UpstreamSpan:
    ids = [(r, r.request_id) for r in records if r.outcome != "excluded" and r.request_id]
    reached = [attempts[rid] for _, rid in ids if rid in attempts]
    total = sum(a.count for a in reached)
    tokens = sum(a.tokens for a in reached)
    good = sum(1 for r, rid in ids if r.outcome == "good" and rid in attempts)
    return UpstreamSpan(
        window=window,
        requests=len(ids),
        reached=len(reached),
        attempts=total,
        attempts_per_request=total / len(reached) if reached else None,
        max_attempts=max((a.count for a in reached), default=None),
        failed_attempts=sum(a.failed for a in reached),
        served_tokens=tokens,
        good_answers=good,
        tokens_per_good_answer=tokens / good if good else None,
    )


def upstream_spans(
    records: Sequence[RequestRecord],
    faults: Sequence[FaultWindow],
    upstream: Mapping[str, Sequence[UpstreamRecord]],
    *,
    run_end: float,
) -> list[UpstreamSpan]:
    """The whole run, the steady span, then each fault window; empty without fakes' logs."""
    if not any(upstream.values()):
        return []
    attempts = _by_request(upstream)
    windows = [(f, min(f.end, run_end)) for f in faults]

    def in_fault(r: RequestRecord) -> bool:
        return any(f.start <= r.t < end for f, end in windows)

    steady = _span(STEADY, [r for r in records if not in_fault(r)], attempts)
    base = steady.tokens_per_good_answer
    spans = [_span(None, records, attempts), steady]
    for fault, end in windows:
        spans.append(_span(fault.id, [r for r in records if fault.start <= r.t < end], attempts))
    return [_amplified(s, base) for s in spans]


def _amplified(span: UpstreamSpan, base: float | None) -> UpstreamSpan:
    if base is None or base <= 0 or span.tokens_per_good_answer is None:
        return span
    ratio = span.tokens_per_good_answer / base
    return msgspec.structs.replace(span, token_amplification=ratio)
