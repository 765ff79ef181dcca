"""``max_attempts_per_request``: upstream attempts per client request, over the run and in
every fault window (the fakes' count by request id, or the service's histogram when larger:
a fault at the proxy hides attempts from the fakes)."""

from __future__ import annotations

from collections.abc import Sequence

from reports.checks.common import in_window, judge, not_judged
from reports.model import LlmCheck, UpstreamSpan
from reports.promdata import PromData
from reports.rundata import FaultWindow
from reports.serverside import attempts_per_request
from rundir import CheckThresholds, RequestRecord

__all__ = ["attempts_check", "attempts_checks"]

_ATTEMPTS = "chat_upstream_attempts_per_request"


def attempts_check(
    *,
    thresholds: CheckThresholds,
    attempts_per_request: float | None,
    requests: int,
    window: str | None = None,
    source: str = "service",
) -> LlmCheck:
    """``checks.max_attempts_per_request`` against the attempts per client request (over the
    whole run, or inside the fault window ``window``)."""
    name = "max_attempts_per_request"
    limit = thresholds.max_attempts_per_request
    if limit is None:
        reason = "the phase sets no checks.max_attempts_per_request"
        return not_judged(
            name,
            f"upstream attempts per request{in_window(window)}",
            window,
            "not_applicable",
            reason,
        )
    whose = "the fakes' count" if source == "fakes" else "the service's count"
    title = f"upstream attempts per request ≤ {limit:g}{in_window(window)} ({whose})"
    if requests == 0 or attempts_per_request is None:
        why = "no client request" if requests == 0 else "no request reached a provider"
        return not_judged(name, title, window, "not_exercised", why, threshold=limit)
    return judge(
        name,
        title,
        window,
        value=attempts_per_request,
        limit=limit,
        passed=attempts_per_request <= limit,
        reason="more upstream attempts per request than the phase allows",
    )


def _service_ratio(prom: PromData | None, start: float, end: float) -> float | None:
    if prom is None:
        return None
    count = prom.increase_between(f"{_ATTEMPTS}_count", start, end)
    if count <= 0:
        return None
    return prom.increase_between(f"{_ATTEMPTS}_sum", start, end) / count


def _pick(fakes: float | None, service: float | None) -> tuple[float | None, str]:
    """The larger count (a fault at the proxy hides attempts from the fakes; the fakes see
    attempts the service may not count), and whose it is."""
    if fakes is None:
        return service, "service"
    if service is None or fakes >= service:
        return fakes, "fakes"
    return service, "service"


def attempts_checks(
    records: Sequence[RequestRecord],
    faults: Sequence[FaultWindow],
    *,
    prom: PromData | None,
    spans: Sequence[UpstreamSpan],
    thresholds: CheckThresholds,
    run_end: float,
) -> list[LlmCheck]:
    """The attempts check over the whole run, then inside each fault window."""
    valid = [r for r in records if r.outcome != "excluded"]
    by_window = {s.window: s for s in spans}
    whole = by_window.get(None)
    value, source = _pick(whole.attempts_per_request if whole else None, attempts_per_request(prom))
    out = [
        attempts_check(
            thresholds=thresholds,
            attempts_per_request=value,
            requests=len(valid),
            source=source,
        )
    ]
    for fault in faults:
        end = min(fault.end, run_end)
        inside = sum(1 for r in valid if fault.start <= r.t < end)
        span = by_window.get(fault.id)
        value, source = _pick(
            span.attempts_per_request if span else None, _service_ratio(prom, fault.start, end)
        )
        out.append(
            attempts_check(
                thresholds=thresholds,
                attempts_per_request=value,
                requests=inside,
                window=fault.id,
                source=source,
            )
        )
    return out
