"""Runs several e2e modules judge: `chaoslab run` of the provider outage on V1 and on V3, each
on a stack the run brings up and takes down, made once per session (each costs a stack)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rundir import read_events, read_requests
from tests.e2e.campaign import again_if_stalled
from tests.fixtures.servers import skip_unless_required

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Finished:
    """A finished `chaoslab run`: its directory, exit code and output."""

    run_dir: Path
    code: int
    output: str

    @property
    def report(self) -> dict[str, Any]:
        path = self.run_dir / "report.json"
        assert path.is_file(), self.output[-3000:]
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def states(self, name: str) -> list[str]:
        """The states of every span an LLM-aware check judged (whole run, then windows)."""
        return [c["state"] for c in self.report["llm"]["checks"] if c["name"] == name]

    def window_availability(self) -> tuple[float, int]:
        """Good / valid among requests sent inside the (first) fault window."""
        events = read_events(self.run_dir)
        start = next(e.t for e in events if e.kind == "fault_start")
        end = next(e.t for e in events if e.kind == "fault_end")
        inside = [r for r in read_requests(self.run_dir) if start <= r.t < end]
        valid = [r for r in inside if r.outcome != "excluded"]
        good = sum(r.outcome == "good" for r in valid)
        return (good / len(valid) if valid else 0.0), len(valid)


def outage_run(phase: str, workdir: Path, *, phases: Path | None = None) -> Finished:
    """`chaoslab run --phase PHASE --scenario provider-outage --duration 30s --fresh` (once
    more if the machine stalled under it)."""
    return again_if_stalled(lambda out: _outage_run(phase, workdir, out, phases=phases),
                            workdir / f"run-{phase}")  # fmt: skip


def _outage_run(phase: str, workdir: Path, out: Path, *, phases: Path | None) -> Finished:
    command = [sys.executable, "-m", "chaoslab", "run", "--phase", phase, "--scenario",
               "provider-outage", "--duration", "30s", "--seed", "7", "--fresh", "--out",
               str(out)]  # fmt: skip
    if phases is not None:
        command += ["--phases", str(phases)]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=500,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    output = done.stdout + done.stderr
    if done.returncode == 2 and "not found on PATH" in output:
        skip_unless_required(output.split("chaoslab run: ")[-1].split()[0], output.strip())
    return Finished(out, done.returncode, output)


@pytest.fixture(scope="session")
def outage_v1(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return outage_run("v1", tmp_path_factory.mktemp("outage-v1"))


@pytest.fixture(scope="session")
def outage_v3(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return outage_run("v3", tmp_path_factory.mktemp("outage-v3"))


def _chaoslab(workdir: Path, *args: str, timeout: float = 500) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaoslab", *args], cwd=workdir,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip


@pytest.fixture(scope="session")
def baseline_v3_seed7(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    """`chaoslab up --phase v3 --seed 7`, then `chaoslab run --phase v3 --scenario baseline
    --duration 30s` WITHOUT --seed (the run takes the stack's), then `chaoslab down`."""
    workdir = tmp_path_factory.mktemp("baseline-v3")
    up = _chaoslab(workdir, "up", "--phase", "v3", "--seed", "7")
    if up.returncode == 2 and "not found on PATH" in up.stderr:
        skip_unless_required(up.stderr.split("chaoslab up: ")[-1].split()[0], up.stderr.strip())
    assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]

    def baseline(out: Path) -> Finished:
        done = _chaoslab(workdir, "run", "--phase", "v3", "--scenario", "baseline",
                         "--duration", "30s", "--out", str(out))  # fmt: skip
        return Finished(out, done.returncode, done.stdout + done.stderr)

    try:
        return again_if_stalled(baseline, workdir / "run-v3-baseline")
    finally:
        _chaoslab(workdir, "down", timeout=120)
