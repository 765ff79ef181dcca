"""Grafana provisioning: data sources and dashboards agree with each other and with the
compose stack's mounts."""

from __future__ import annotations

from typing import Any

from tests.unit.observability.files import PROVISIONING_DIR, load_yaml


def _datasources() -> dict[str, dict[str, Any]]:
    data = load_yaml(PROVISIONING_DIR / "datasources" / "datasources.yml")
    return {source["uid"]: source for source in data["datasources"]}


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def test_datasources_point_at_compose_services(compose: dict[str, Any]) -> None:
    """Prometheus and Loki data sources use the compose service names and ports."""
    urls = {uid: source["url"] for uid, source in _datasources().items()}
    assert urls == {"prometheus": "http://prometheus:9090", "loki": "http://loki:3100"}
    assert {"prometheus", "loki"} <= set(compose["services"])


def test_panels_use_provisioned_datasources(dashboards: dict[str, dict[str, Any]]) -> None:
    """Every panel and target names a data source uid that provisioning creates."""
    uids = set(_datasources())
    used = {
        ref["uid"]
        for dashboard in dashboards.values()
        for panel in _panels(dashboard)
        for ref in [
            panel.get("datasource"),
            *(t.get("datasource") for t in panel.get("targets", [])),
        ]
        if isinstance(ref, dict)
    }
    assert used <= uids | {"-- Grafana --"}


def test_dashboard_uids_and_panel_ids_are_unique(dashboards: dict[str, dict[str, Any]]) -> None:
    """Dashboards have distinct uids; panels within one have distinct ids."""
    assert len({d["uid"] for d in dashboards.values()}) == len(dashboards)
    for dashboard in dashboards.values():
        ids = [panel["id"] for panel in _panels(dashboard)]
        assert len(ids) == len(set(ids))


def test_panels_fit_the_24_column_grid(dashboards: dict[str, dict[str, Any]]) -> None:
    """No panel extends past Grafana's 24 grid columns."""
    for dashboard in dashboards.values():
        for panel in _panels(dashboard):
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, panel["title"]


def test_chat_dashboard_covers_the_required_views(dashboards: dict[str, dict[str, Any]]) -> None:
    """The chat dashboard has the panels the lab promises, and a Loki logs panel."""
    titles = " | ".join(p["title"].lower() for p in _panels(dashboards["chat-service.json"]))
    for needle in (
        "requests/s by status", "error ratio", "latency p50 / p95 / p99", "time to first token",
        "provider attempts", "retries, failovers", "circuit breaker state", "cache hit ratio",
        "rate-limit decisions", "faults injected", "toxiproxy bytes", "warnings and errors",
    ):  # fmt: skip
        assert needle in titles, needle


def test_chat_dashboard_has_the_llm_aware_sli_row(dashboards: dict[str, dict[str, Any]]) -> None:
    """A row "LLM-aware SLIs" holds TTFT (client and service), inter-token gap, tokens/s,
    stream completion, attempts per request, failovers, breaker failures at open, fake
    tokens per good answer and the error-budget burn rate."""
    panels = dashboards["chat-service.json"]["panels"]
    start = next(i for i, p in enumerate(panels) if p["title"] == "LLM-aware SLIs")
    end = next(i for i, p in enumerate(panels) if i > start and p["type"] == "row")
    row = {p["title"].lower(): p for p in panels[start + 1 : end]}
    exprs = " ".join(t["expr"] for p in row.values() for t in p["targets"])
    for needle in (
        "chaoslab_client_ttft_seconds_bucket", "chat_provider_time_to_first_token_seconds_bucket",
        "chaoslab_client_stream_itl_p95_seconds_bucket",
        "chaoslab_client_stream_tokens_per_second_bucket",
        "chaoslab_client_streams_answered_total", "chat_upstream_attempts_per_request_bucket",
        "chat_provider_failovers_total", "chat_breaker_failures_at_open_count",
        'fake_llm_tokens_total{kind="completion"}', "chat:burn_rate:run_long",
    ):  # fmt: skip
        assert needle in exprs, needle
    titles = " | ".join(row)
    for needle in ("time to first token", "inter-token", "tokens/s", "completion rate",
                   "attempts per request", "failovers", "breaker failures at open",
                   "per good answer", "burn rate"):  # fmt: skip
        assert needle in titles, needle


def test_dashboard_provider_path_is_the_compose_mount(compose: dict[str, Any]) -> None:
    """Provisioning loads dashboards from where docker-compose.yml mounts them."""
    provider = load_yaml(PROVISIONING_DIR / "dashboards" / "dashboards.yml")["providers"][0]
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./observability/grafana/dashboards:{provider['options']['path']}:ro" in mounts
    environment = compose["services"]["grafana"]["environment"]
    home = environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/chat-service.json"
