"""Every alert carries what an on-call reader needs, and the documentation lists it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.observability.files import OBSERVABILITY, PROMETHEUS_DIR, load_yaml

REQUIRED = {
    "ChatAvailabilityBurnRateFast",
    "ChatLatencyP99High",
    "ChatProviderBreakerOpen",
    "ChatRetryAmplification",
    "ChatDependencyDown",
    "ChatRateLimitRejectionsSpike",
}


def test_the_promised_alerts_exist(alert_rules: list[dict[str, Any]]) -> None:
    """Availability burn, p99 latency, breaker open, retry amplification, dependency down
    and rate-limit spike alerts are all defined."""
    assert {rule.get("alert") for rule in alert_rules} >= REQUIRED


def test_alert_names_are_unique(alert_rules: list[dict[str, Any]]) -> None:
    """No two alerting rules share a name."""
    names = [rule["alert"] for rule in alert_rules if "alert" in rule]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("field", ["summary", "description", "threshold"])
def test_every_alert_has_annotation(alert_rules: list[dict[str, Any]], field: str) -> None:
    """Each alert has a non-empty summary, description and threshold annotation."""
    missing = [r["alert"] for r in alert_rules if not r.get("annotations", {}).get(field)]
    assert not missing


def test_every_alert_has_a_known_severity(alert_rules: list[dict[str, Any]]) -> None:
    """Each alert is labelled severity page or ticket."""
    assert {rule["labels"]["severity"] for rule in alert_rules} <= {"page", "ticket"}


def test_thresholds_are_documented_in_the_rules_file_and_readme(
    alert_rules: list[dict[str, Any]],
) -> None:
    """The threshold table atop alerts.yml and observability/README.md name every alert."""
    header = "\n".join(
        line
        for line in (PROMETHEUS_DIR / "alerts.yml").read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    )
    readme = (OBSERVABILITY / "README.md").read_text(encoding="utf-8")
    for rule in alert_rules:
        assert f"| {rule['alert']} " in header, rule["alert"]
        assert rule["alert"] in readme, rule["alert"]


def test_every_alert_has_a_unit_test(alert_rules: list[dict[str, Any]]) -> None:
    """alerts.test.yml expects each alert to fire at least once."""
    tests = load_yaml(PROMETHEUS_DIR / "alerts.test.yml")["tests"]
    firing = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in alert_rules} - firing == set()
