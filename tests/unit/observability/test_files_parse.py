"""Every configuration file of the observability stack and the compose stack parses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.unit.observability.files import COMPOSE_FILE, OBSERVABILITY, TOXIPROXY_CONFIG

YAML_FILES = sorted([*OBSERVABILITY.rglob("*.yml"), *OBSERVABILITY.rglob("*.yaml"), COMPOSE_FILE])
JSON_FILES = sorted([*OBSERVABILITY.rglob("*.json"), TOXIPROXY_CONFIG])


def _name(path: Path) -> str:
    return str(path.relative_to(COMPOSE_FILE.parent))


def test_the_stack_has_its_files() -> None:
    """Prometheus, alert, Grafana, Loki and promtail files are all present."""
    expected = {
        "observability/prometheus/prometheus.yml",
        "observability/prometheus/alerts.yml",
        "observability/prometheus/alerts.test.yml",
        "observability/grafana/provisioning/datasources/datasources.yml",
        "observability/grafana/provisioning/dashboards/dashboards.yml",
        "observability/loki/loki.yml",
        "observability/loki/promtail.yml",
        "docker-compose.yml",
    }
    assert expected <= {_name(p) for p in YAML_FILES}
    assert "observability/grafana/dashboards/chat-service.json" in {_name(p) for p in JSON_FILES}


@pytest.mark.parametrize("path", YAML_FILES, ids=_name)
def test_yaml_file_parses(path: Path) -> None:
    """The YAML file parses into a mapping."""
    assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)


@pytest.mark.parametrize("path", JSON_FILES, ids=_name)
def test_json_file_parses(path: Path) -> None:
    """The JSON file parses into an object or a list."""
    assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict | list)
