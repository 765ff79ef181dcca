"""Chaos Toolkit export and import, with the real `chaostoolkit` and
`chaostoolkit-toxiproxy` packages against the stack's fault proxy."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lab.faults.toxiproxy import ToxiproxyClient
from scenarios.chaostoolkit import ExportError, from_chaostoolkit, to_chaostoolkit
from scenarios.loader import load_scenario
from tests.integration.experiments.conftest import MiniStack

CHAOS = str(Path(sys.executable).with_name("chaos"))


@pytest.fixture
def exported(mini_stack: MiniStack, tmp_path: Path) -> Path:
    data = to_chaostoolkit(
        load_scenario("redis-latency").scenario,
        mini_stack.stack,
        name="redis-latency",
        duration=3.0,
    )
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps(data))
    return path


def test_exported_experiment_passes_chaos_validate(exported: Path, tmp_path: Path) -> None:
    """`chaos validate` accepts the exported file."""
    done = subprocess.run([CHAOS, "validate", str(exported)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_exported_experiment_runs_with_chaos_run(
    mini_stack: MiniStack, exported: Path, tmp_path: Path
) -> None:
    """`chaos run` plays the toxic on and off through the driver and leaves none behind."""
    done = subprocess.run([CHAOS, "run", str(exported)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert journal["status"] == "completed"
    names = [run["activity"]["name"] for run in journal["run"]]
    assert names == ["slow-redis on replica-1.redis", "slow-redis off replica-1.redis"]
    assert all(run["status"] == "succeeded" for run in journal["run"])
    assert mini_stack.stack.proxy_api is not None
    with ToxiproxyClient(mini_stack.stack.proxy_api) as client:
        assert client.get_proxy("replica-1.redis").toxics() == {}  # type: ignore[union-attr]


def test_what_does_not_map_is_an_error_naming_it(mini_stack: MiniStack) -> None:
    """A fake fault has no Toxiproxy equivalent: the error names the fault and action."""
    with pytest.raises(ExportError, match=r"faults\[0\] \(outage\): action 'fake'"):
        to_chaostoolkit(load_scenario("provider-outage").scenario, mini_stack.stack)


def test_import_round_trips_the_timeline(mini_stack: MiniStack) -> None:
    """An exported experiment imports back to the same role, action, times and attributes."""
    data = to_chaostoolkit(load_scenario("redis-latency").scenario, mini_stack.stack)
    fault = tomllib.loads(from_chaostoolkit(data, mini_stack.stack))["faults"][0]
    assert fault == {"at": 30.0, "target": "cache", "action": "latency", "stream": "downstream",
                     "toxicity": 1.0, "attributes": {"latency": 300, "jitter": 100},
                     "duration": 30.0}  # fmt: skip
