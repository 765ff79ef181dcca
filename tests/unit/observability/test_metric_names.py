"""Alerts and dashboards query only metrics that the service, the fakes, the proxy or the
client exporter really export (read from their registered collectors) or that a generated
recording rule writes: rename a metric or a recording rule and this fails."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.observability.promql import (
    PROMETHEUS_BUILTINS,
    dashboard_queries,
    exported_families,
    exported_names,
    metric_names,
    recorded_names,
    series_names,
)


@pytest.fixture(scope="module")
def known() -> set[str]:
    return exported_names() | recorded_names() | PROMETHEUS_BUILTINS


def test_lexer_finds_metrics_and_skips_functions_labels_and_keywords() -> None:
    """metric_names keeps selected metrics and drops functions, labels, ranges, keywords."""
    expr = (
        'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{route=~"/v1/x.*"}[5m])))'
        " > 5 and on (job) (sum without (instance) (b_total offset 1h) or vector(0))"
        ' / ignoring (x) group_left (y) c{status="5.."}[$__rate_interval]'
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c"}


def test_lexer_ignores_numbers_durations_and_strings() -> None:
    """Exponents, durations and quoted text are not metric names."""
    assert metric_names('x > 1e3 and y offset 5m unless z{l="not_a_metric"}') == {"x", "y", "z"}


def test_exported_names_expand_counter_and_histogram_suffixes(known: set[str]) -> None:
    """Counters expose _total, histograms _bucket/_sum/_count, gauges their own name."""
    assert {
        "chat_http_requests_total",
        "chat_http_request_duration_seconds_bucket",
        "chat_http_request_duration_seconds_count",
        "chat_breaker_state",
        "fake_llm_requests_total",
        "toxiproxy_proxy_sent_bytes_total",
        "chaoslab_client_stream_itl_p95_seconds_bucket",
        "chaoslab_client_streams_answered_total",
    } <= known
    assert "chat_http_requests" not in known


def test_recorded_names_include_both_burn_rate_scales() -> None:
    """The 30-day and the run-scaled burn rates and the SLI windows are recorded."""
    assert {
        "chat:error_ratio:rate1h",
        "chat:burn_rate:rate5m",
        "chat:burn_rate:run_long",
        "chat:burn_rate:run_short",
    } <= recorded_names()
    assert "chat:burn_rate:rate7m" not in recorded_names()


def test_alert_rules_use_only_exported_metrics(
    alert_rules: list[dict[str, Any]], known: set[str]
) -> None:
    """Every metric an alert's expression selects is exported by some component."""
    unknown = {
        rule["alert"]: sorted(metric_names(rule["expr"]) - known)
        for rule in alert_rules
        if metric_names(rule["expr"]) - known
    }
    assert not unknown, f"alerts query metrics nobody exports: {unknown}"


def test_every_alert_selects_some_metric(alert_rules: list[dict[str, Any]]) -> None:
    """The lexer finds at least one metric in each alert (the check above is not vacuous)."""
    assert all(metric_names(rule["expr"]) for rule in alert_rules)


def test_dashboard_queries_use_only_exported_metrics(
    dashboards: dict[str, dict[str, Any]], known: set[str]
) -> None:
    """Every metric a dashboard's PromQL selects is exported by some component."""
    unknown = {
        f"{name}: {title}": sorted(metric_names(expr) - known)
        for name, dashboard in dashboards.items()
        for title, kind, expr in dashboard_queries(dashboard)
        if kind == "prometheus" and metric_names(expr) - known
    }
    assert not unknown, f"panels query metrics nobody exports: {unknown}"


def test_dashboards_show_every_exported_metric(dashboards: dict[str, dict[str, Any]]) -> None:
    """Each metric family of the service, fakes, proxy and client exporter appears on some
    dashboard panel."""
    used = {
        name
        for dashboard in dashboards.values()
        for _, kind, expr in dashboard_queries(dashboard)
        if kind == "prometheus"
        for name in metric_names(expr)
    }
    missing = sorted(
        family
        for family, kind in exported_families().items()
        if not series_names(family, kind) & used
    )
    assert not missing, f"add a panel to observability/grafana/dashboards for: {missing}"
