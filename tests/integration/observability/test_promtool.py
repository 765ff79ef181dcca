"""``promtool`` accepts the Prometheus config, the alerting rules and every dashboard
query, and the alert unit tests (alerts.test.yml) pass. Skipped without promtool
(Debian's ``prometheus`` package ships it as /usr/bin/promtool)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.observability.files import PROMETHEUS_DIR
from tests.unit.observability.promql import dashboard_queries, grafana_to_promql

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not on PATH (Debian package: prometheus)"
)


def _promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_prometheus_config_is_valid() -> None:
    """promtool check config accepts prometheus.yml and the rule file it names."""
    result = _promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerting_rules_are_valid() -> None:
    """promtool check rules accepts alerts.yml."""
    result = _promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_unit_tests_pass() -> None:
    """promtool test rules: every alert fires on its synthetic fault and not on health."""
    result = _promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_queries_are_valid_promql(
    dashboards: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """Every Prometheus query of every dashboard parses (as a recording rule)."""
    rules = [
        {"record": f"dashboard:query_{index}", "expr": grafana_to_promql(expr)}
        for index, (_, kind, expr) in enumerate(
            query for dashboard in dashboards.values() for query in dashboard_queries(dashboard)
        )
        if kind == "prometheus"
    ]
    assert rules
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = _promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
