"""Shared fixtures: the repository's parsed observability and compose files."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.observability.files import (
    COMPOSE_FILE,
    DASHBOARDS_DIR,
    PROMETHEUS_DIR,
    TOXIPROXY_CONFIG,
    load_yaml,
)


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """docker-compose.yml, parsed."""
    data: dict[str, Any] = load_yaml(COMPOSE_FILE)
    return data


@pytest.fixture(scope="session")
def alert_rules() -> list[dict[str, Any]]:
    """Every rule of observability/prometheus/alerts.yml."""
    groups = load_yaml(PROMETHEUS_DIR / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


@pytest.fixture(scope="session")
def dashboards() -> dict[str, dict[str, Any]]:
    """Every dashboard JSON, by file name."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DASHBOARDS_DIR.glob("*.json"))
    }


@pytest.fixture(scope="session")
def toxiproxy_config() -> list[dict[str, Any]]:
    """compose/toxiproxy.json, the proxies the compose stack's Toxiproxy creates."""
    data: list[dict[str, Any]] = json.loads(TOXIPROXY_CONFIG.read_text(encoding="utf-8"))
    return data
