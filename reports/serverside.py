"""Server-side views from the saved Prometheus series: the service's own request count
and the per-provider picture (attempts, retries, failovers, breakers, the fakes' counts).

Metric names are the catalog's (``service.telemetry.metrics``) and the fakes'
(``fake_llm_requests_total``). Prometheus labels every series with ``instance`` = the
stack component's name, so a fake's count maps to the provider it plays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reports.model import ProviderView, ServerView
from reports.promdata import PromData
from reports.sli import quantile_label
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
) -> ServerView | None:
    """The service's count: 2xx/3xx good, 5xx and 429 failures, other 4xx excluded; and
    its histograms' quantile estimates beside the client's exact ones."""
    if prom is None or not prom.has("chat_http_requests_total"):
        return None
    by_status = prom.increase_by("chat_http_requests_total", "status", _api_route)
    # the client's requests that ended inside the span the service's counter covers
    span = prom.counted_span("chat_http_requests_total", _api_route)
    if span is None:
        client_requests = 0
    else:
        low, high = span
        client_requests = sum(1 for r in records if low < r.t + r.latency_s <= high)
    total = sum(by_status.values())
    good = sum(v for s, v in by_status.items() if s[:1] in {"2", "3"})
    failure = sum(v for s, v in by_status.items() if s[:1] == "5" or s == "429")
    valid = good + failure
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
    )


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
