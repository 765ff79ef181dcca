"""Chaos Toolkit export and import, with the real `chaostoolkit` and
`chaostoolkit-toxiproxy` packages against the stack's fault proxy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lab.faults.toxiproxy import ToxiproxyClient
from scenarios.chaostoolkit import ExportError, from_chaostoolkit, to_chaostoolkit
from scenarios.loader import load_scenario
from tests.fixtures.chatload import chat_load
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


def _chaos_run(mini: MiniStack, experiment: Path, cwd: Path) -> dict[str, object]:
    env = {**os.environ, "CHAOSLAB_STACK": str(mini.stack_dir)}
    done = subprocess.run([CHAOS, "run", str(experiment)], cwd=cwd, capture_output=True,
                          text=True, timeout=180, env=env)  # fmt: skip
    journal: dict[str, object] = json.loads((cwd / "journal.json").read_text())
    journal["returncode"] = done.returncode
    journal["output"] = done.stdout + done.stderr
    return journal


def test_exported_experiment_names_no_address(mini_stack: MiniStack, exported: Path) -> None:
    """The export holds no URL or port of the stack: configuration entries find them at
    run time (environment, else stack.json)."""
    text = exported.read_text()
    assert "127.0.0.1" not in text
    for route in mini_stack.stack.proxies:
        assert route.listen.rsplit(":", 1)[1] not in text
    configuration = json.loads(text)["configuration"]
    assert configuration["toxiproxy_url"]["provider"]["func"] == "stack_address"
    assert configuration["chaoslab_stack"] == {"type": "env", "key": "CHAOSLAB_STACK",
                                               "default": ""}  # fmt: skip


def test_steady_state_fails_without_load(
    mini_stack: MiniStack, exported: Path, tmp_path: Path
) -> None:
    """With no request in the window, the steady-state probe fails and chaos run stops
    before any fault (Chaos Toolkit brings no load)."""
    journal = _chaos_run(mini_stack, exported, tmp_path)
    assert journal["returncode"] != 0, journal["output"]
    assert journal["steady_states"]["before"]["steady_state_met"] is False  # type: ignore[index]
    assert journal["run"] == []
    assert "no chat request" in (tmp_path / "chaostoolkit.log").read_text()


def test_exported_experiment_runs_with_chaos_run(
    mini_stack: MiniStack, exported: Path, tmp_path: Path
) -> None:
    """With load beside it, `chaos run` measures availability before and after within the
    phase's tolerance, plays the toxic on and off and leaves none behind."""
    with chat_load(mini_stack.stack.front_door, mini_stack.stack.load_api_keys) as load:
        journal = _chaos_run(mini_stack, exported, tmp_path)
    assert journal["returncode"] == 0, journal["output"]
    assert load.sent > 0
    assert journal["status"] == "completed"
    for moment in ("before", "after"):
        probe = journal["steady_states"][moment]["probes"][0]  # type: ignore[index]
        assert probe["tolerance_met"] is True
        assert 0.99 <= probe["output"] <= 1.0
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
