"""An exported Chaos Toolkit experiment outlives its stack: exported from a V1 stack, it
runs with the real `chaos run` against the stack brought up again on new ports, measuring
availability from the stack's Prometheus with the phase's target as tolerance."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lab.binaries import BinaryNotFound, find
from rundir import Stack, read_stack, stack_keys
from tests.fixtures.chatload import chat_load
from tests.fixtures.servers import skip_unless_required

pytestmark = pytest.mark.timeout(600)

CHAOS = str(Path(sys.executable).with_name("chaos"))


def _chaoslab(cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chaoslab", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def _up(cwd: Path) -> Stack:
    started = _chaoslab(cwd, "up", "--phase", "v1", "--seed", "3")
    assert started.returncode == 0, started.stdout + started.stderr
    return read_stack((cwd / ".chaoslab" / "current").resolve())


def _ports(stack: Stack) -> set[str]:
    urls = [stack.front_door, stack.proxy_api or "", stack.prometheus_url or ""]
    return {url.rsplit(":", 1)[1].split("/")[0] for url in urls if url}


def test_export_runs_after_down_and_up(tmp_path: Path) -> None:
    """export on one stack; down; up (new ports); `chaos run` finds the new addresses in
    stack.json, meets the steady state before and after under load, and plays the timeline."""
    for name in ("redis-server", "postgres", "prometheus"):
        try:
            find(name)
        except BinaryNotFound as missing:
            skip_unless_required(name, str(missing))
    try:
        first = _up(tmp_path)
        exported = _chaoslab(
            tmp_path, "scenarios", "redis-latency", "--export-chaostoolkit", "exp.json",
            "--duration", "4",
        )  # fmt: skip
        assert exported.returncode == 0, exported.stderr
        text = (tmp_path / "exp.json").read_text()
        assert not [port for port in _ports(first) if port in text]
        assert _chaoslab(tmp_path, "down", timeout=120).returncode == 0
        second = _up(tmp_path)
        assert _ports(second) != _ports(first)
        with chat_load(second.front_door, stack_keys(second)[1]) as load:
            done = subprocess.run([CHAOS, "run", "exp.json"], cwd=tmp_path, capture_output=True,
                                  text=True, timeout=240)  # fmt: skip
    finally:
        _chaoslab(tmp_path, "down", timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert load.sent > 0
    journal: dict[str, Any] = json.loads((tmp_path / "journal.json").read_text())
    assert journal["status"] == "completed"
    for moment in ("before", "after"):
        probe = journal["steady_states"][moment]["probes"][0]
        assert probe["tolerance_met"] is True
        assert second.targets.availability <= probe["output"] <= 1.0
    names = [run["activity"]["name"] for run in journal["run"]]
    assert names == ["slow-redis on replica-1.redis", "slow-redis off replica-1.redis"]
    assert all(run["status"] == "succeeded" for run in journal["run"])
