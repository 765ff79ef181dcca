"""Metric names referenced by a PromQL expression, and the names our code exports.

``metric_names(expr)`` is a small lexer, not a parser: it drops strings, label matchers,
range selectors and grouping clauses, then keeps the identifiers that are neither function
calls nor keywords. ``exported_names()`` reads the registered collectors of the service,
the fakes, the proxy and the load generator's client exporter, and expands each family into
the series names Prometheus stores (counters ``_total``; histograms ``_bucket``, ``_sum``,
``_count``). ``recorded_names()`` are the series the generated recording rules write.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry

__all__ = [
    "PROMETHEUS_BUILTINS",
    "dashboard_queries",
    "exported_families",
    "exported_names",
    "grafana_to_promql",
    "metric_names",
    "recorded_names",
    "series_names",
]

PROMETHEUS_BUILTINS = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
"""Series Prometheus writes itself for every target."""

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w$.])[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
     "group_left", "group_right", "atan2", "inf", "nan", "Inf", "NaN"}
)  # fmt: skip


def metric_names(expr: str) -> set[str]:
    """Every metric name ``expr`` selects (functions, keywords and labels excluded)."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names: set[str] = set()
    for match in _IDENT.finditer(text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or match.group() in _KEYWORDS:
            continue
        names.add(match.group())
    return names


def _registries() -> list[CollectorRegistry]:
    from fakes.llm.metrics import FakeMetrics
    from fakes.toxiproxy.metrics import ProxyMetrics
    from loadtests.exporter import ClientMetrics
    from service.telemetry.metrics import ServiceMetrics

    client = ClientMetrics(latency_targets=[], ttft_targets=[])
    return [
        ServiceMetrics().registry,
        FakeMetrics("openai").registry,
        ProxyMetrics().registry,
        client.registry,
    ]


def exported_families() -> dict[str, str]:
    """Family name (as registered, counters without ``_total``) -> type, for every
    collector of the service, the fake LLM providers, the Toxiproxy-compatible proxy and
    the client exporter of the Locust processes."""
    families: dict[str, str] = {}
    for registry in _registries():
        for family in registry.collect():
            families[family.name] = family.type
    return families


_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
    "gauge": ("",),
}


def series_names(family: str, kind: str) -> set[str]:
    """The series names Prometheus stores for a family of type ``kind``."""
    return {family + suffix for suffix in _SUFFIXES.get(kind, ("",))}


def exported_names() -> set[str]:
    """Every series name the three components expose on ``/metrics``."""
    return {
        name for family, kind in exported_families().items() for name in series_names(family, kind)
    }


def recorded_names() -> set[str]:
    """Every series a recording rule of the generated rules writes (the committed copies,
    plus a run file for a run of another length: its windows are named after it)."""
    import yaml

    from lab.phases import load_phases
    from lab.stack.rules import generated_files, run_burn_rules

    documents = [yaml.safe_load(text) for text in generated_files(load_phases()).values()]
    documents += [run_burn_rules(phase, 600, 1.0) for phase in load_phases().values()]
    return {
        rule["record"]
        for document in documents
        for group in document["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


_GRAFANA_RANGES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}


def grafana_to_promql(expr: str) -> str:
    """``expr`` with Grafana's built-in range variables replaced by plain durations."""
    for variable, duration in _GRAFANA_RANGES.items():
        expr = expr.replace("${" + variable[1:] + "}", duration).replace(variable, duration)
    return expr


def dashboard_queries(dashboard: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """``(panel title, datasource type, expression)`` of every target, rows included."""
    stack = list(dashboard.get("panels", []))
    while stack:
        panel = stack.pop(0)
        stack.extend(panel.get("panels", []))
        panel_type = (panel.get("datasource") or {}).get("type", "prometheus")
        for target in panel.get("targets", []):
            kind = (target.get("datasource") or {}).get("type", panel_type)
            yield panel.get("title", "?"), kind, target["expr"]
