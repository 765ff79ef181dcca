"""Server-side views from the saved Prometheus series: the service's own request count
and the per-provider picture (attempts, retries, failovers, breakers, the fakes' counts).

Metric names are the catalog's (``service.telemetry.metrics``) and the fakes'
(``fake_llm_requests_total``). Prometheus labels every series with ``instance`` = the
stack component's name, so a fake's count maps to the provider it plays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reports.model import ProviderView, ReplicaCount, ServerView
from reports.promdata import PromData
from reports.sli import quantile_label
from reports.sources import source_of
from rundir import RequestRecord, Stack

__all__ = ["API_ROUTE_PREFIXES", "attempts_per_request", "provider_views", "server_view"]

API_ROUTE_PREFIXES = ("/v1/chat", "/v1/conversations")
"""Routes whose requests count (health, readiness and metrics do not)."""


def _api_route(labels: Mapping[str, str]) -> bool:
    return labels.get("route", "").startswith(API_ROUTE_PREFIXES)


def server_view(
    prom: PromData | None,
    *,
    records: Sequence[RequestRecord],
    quantiles: Sequence[float] = (0.5, 0.95, 0.99),
    t0: float = 0.0,
) -> ServerView | None:
    """The service's count: 2xx/3xx good (less the streams it counted as interrupted after
    their 200, which are failures as the client counts them), 5xx and 429 failures, other
    4xx excluded; reconciled with the client's requests per replica over each replica's own
    scrape span; and its histograms' quantile estimates beside the client's exact ones."""
    if prom is None or not prom.has("chat_http_requests_total"):
        return None
    by_status = prom.increase_by("chat_http_requests_total", "status", _api_route)
    replicas = _replica_counts(prom, records, t0=t0)
    lb_answers = sum(1 for r in records if source_of(r) == "load_balancer")
    total = sum(by_status.values())
    if replicas:
        client_requests = sum(c.client for c in replicas)
        total = sum(c.server for c in replicas)
    else:  # a log that does not name replicas: one span for all of them
        span = prom.counted_span("chat_http_requests_total", _api_route)
        low, high = span if span is not None else (0.0, -1.0)
        client_requests = sum(
            1
            for r in records
            if low < r.t + r.latency_s <= high and source_of(r) != "load_balancer"
        )
    interrupted = prom.increase("chat_stream_interruptions_total")
    good = sum(v for s, v in by_status.items() if s[:1] in {"2", "3"}) - interrupted
    failure = sum(v for s, v in by_status.items() if s[:1] == "5" or s == "429") + interrupted
    valid = good + failure
    tolerance = max(0.001 * client_requests, 2.0)
    return ServerView(
        requests=total,
        good=good,
        failure=failure,
        availability=good / valid if valid else None,
        client_requests=client_requests,
        difference=(total - client_requests) / client_requests if client_requests else None,
        latency={
            quantile_label(q): prom.histogram_quantile(
                "chat_http_request_duration_seconds_bucket", q, _api_route
            )
            for q in quantiles
        },
        ttft={
            quantile_label(q): prom.histogram_quantile(
                "chat_provider_time_to_first_token_seconds_bucket", q
            )
            for q in quantiles
        },
        replicas=replicas,
        load_balancer_answers=lb_answers,
        stream_interruptions=interrupted,
        tolerance=tolerance,
        reconciled=abs(total - client_requests) <= tolerance if client_requests else None,
    )


def _replica_counts(
    prom: PromData, records: Sequence[RequestRecord], *, t0: float
) -> list[ReplicaCount]:
    """Per replica the client's log names: its counter over its own span, and the client's
    requests it answered that ended inside that span."""
    named = [r for r in records if r.replica]
    if not named:
        return []
    instances = {
        s.labels.get("instance", "") for s in prom.series("chat_http_requests_total", _api_route)
    }
    out: list[ReplicaCount] = []
    for name in sorted(instances - {""}):

        def mine(labels: Mapping[str, str], name: str = name) -> bool:
            return _api_route(labels) and labels.get("instance") == name

        span = prom.counted_span("chat_http_requests_total", mine)
        if span is None:
            continue
        low, high = span
        out.append(
            ReplicaCount(
                replica=name,
                server=prom.increase("chat_http_requests_total", mine),
                client=sum(
                    1 for r in named if r.replica == name and low < r.t + r.latency_s <= high
                ),
                span=(round(low - t0, 3), round(high - t0, 3)),
            )
        )
    return out


def attempts_per_request(prom: PromData | None) -> float | None:
    """Upstream attempts per client request (the service's histogram's sum / count)."""
    if prom is None:
        return None
    count = prom.increase("chat_upstream_attempts_per_request_count")
    if count <= 0:
        return None
    return prom.increase("chat_upstream_attempts_per_request_sum") / count


def provider_views(prom: PromData | None, stack: Stack) -> list[ProviderView]:
    """One view per provider the service or the stack names, sorted by name."""
    if prom is None:
        return []
    attempts = prom.increase_by("chat_provider_attempts_total", "provider")
    errors = prom.increase_by("chat_provider_attempts_total", "provider", {"outcome": "error"})
    retries = prom.increase_by("chat_provider_retries_total", "provider")
    moved_from = prom.increase_by("chat_provider_failovers_total", "from_provider")
    moved_to = prom.increase_by("chat_provider_failovers_total", "to_provider")
    fakes: dict[str, float] = {}
    for part in stack.of_kind("provider"):
        if part.provider is not None and prom.has("fake_llm_requests_total"):
            fakes[part.provider] = prom.increase(
                "fake_llm_requests_total", {"instance": part.name}
            ) + fakes.get(part.provider, 0.0)
    names = set(attempts) | set(retries) | set(moved_from) | set(moved_to) | set(fakes)
    names |= {s.labels.get("provider", "") for s in prom.series("chat_breaker_state")}
    names.discard("")
    views: list[ProviderView] = []
    for name in sorted(names):
        where = {"provider": name}
        views.append(
            ProviderView(
                provider=name,
                attempts=attempts.get(name, 0.0),
                errors=errors.get(name, 0.0),
                retries=retries.get(name, 0.0),
                failovers_from=moved_from.get(name, 0.0),
                failovers_to=moved_to.get(name, 0.0),
                breaker_transitions=prom.increase_by(
                    "chat_breaker_transitions_total", "state", where
                ),
                breaker_timeline=_worst_state(prom, name),
                fake_requests=fakes.get(name),
            )
        )
    return views


def _worst_state(prom: PromData, provider: str) -> list[tuple[float, float]]:
    """The breaker state over time, the worst across replicas at each sample time."""
    worst: dict[float, float] = {}
    for series in prom.series("chat_breaker_state", {"provider": provider}):
        for t, value in series.points:
            worst[t] = max(worst.get(t, 0.0), value)
    return sorted(worst.items())
