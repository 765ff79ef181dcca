"""The generated SLO rules under promtool: each phase's fast burn-rate alert fires at its
own threshold (5 % errors page on V3's 99.9 %, not on V1's 95 %)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from lab.stack.rules import GENERATED_DIR

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not on PATH (package: prometheus)"
)

_SERIES = [
    {"series": 'chat_http_requests_total{route="/v1/chat", method="POST", status="200"}',
     "values": "0+142.5x60"},
    {"series": 'chat_http_requests_total{route="/v1/chat", method="POST", status="503"}',
     "values": "0+7.5x60"},
]  # fmt: skip


def _promtool_test(tmp_path: Path, phase: str, expected: list[dict[str, object]]) -> str:
    assert PROMTOOL is not None
    spec = {
        "rule_files": [
            str(GENERATED_DIR / "recording.yml"),
            str(GENERATED_DIR / f"slo-{phase}.yml"),
        ],
        "evaluation_interval": "15s",
        "tests": [
            {
                "interval": "15s",
                "input_series": _SERIES,
                "alert_rule_test": [
                    {"eval_time": "10m", "alertname": "ChatSLOBurnRateFast", "exp_alerts": expected}
                ],
            }
        ],
    }
    path = tmp_path / f"test-{phase}.yml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    done = subprocess.run(
        [PROMTOOL, "test", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout + done.stderr if done.returncode else ""


def test_five_percent_errors_page_on_v3(tmp_path: Path) -> None:
    """5 % of chats failing is > 14.4 x 0.1 %: V3's fast burn alert fires."""
    rules = yaml.safe_load((GENERATED_DIR / "slo-v3.yml").read_text())["groups"][0]["rules"]
    annotations = next(r["annotations"] for r in rules if r["alert"] == "ChatSLOBurnRateFast")
    labels = {"severity": "page", "phase": "v3", "slo": "availability-99.9%"}
    expected: list[dict[str, object]] = [{"exp_labels": labels, "exp_annotations": annotations}]
    assert _promtool_test(tmp_path, "v3", expected) == ""


def test_five_percent_errors_do_not_page_on_v1(tmp_path: Path) -> None:
    """5 % is within V1's 95 % objective (fast burn threshold 72 %): no alert."""
    assert _promtool_test(tmp_path, "v1", []) == ""
