"""Paths of the repository's observability and compose files, and a YAML loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "COMPOSE_FILE",
    "DASHBOARDS_DIR",
    "OBSERVABILITY",
    "PROMETHEUS_DIR",
    "PROVISIONING_DIR",
    "ROOT",
    "TOXIPROXY_CONFIG",
    "load_yaml",
]

ROOT = Path(__file__).resolve().parents[3]
OBSERVABILITY = ROOT / "observability"
PROMETHEUS_DIR = OBSERVABILITY / "prometheus"
DASHBOARDS_DIR = OBSERVABILITY / "grafana" / "dashboards"
PROVISIONING_DIR = OBSERVABILITY / "grafana" / "provisioning"
COMPOSE_FILE = ROOT / "docker-compose.yml"
TOXIPROXY_CONFIG = ROOT / "compose" / "toxiproxy.json"


def load_yaml(path: Path) -> Any:
    """The parsed YAML document at ``path``."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))
