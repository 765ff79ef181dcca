"""`chaoslab run` interrupted (SIGINT) or killed (SIGKILL): nothing is left behind."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from chaoslab.cli import main
from fakes.llm.client import FakeAdmin
from lab.faults.toxiproxy import ToxiproxyClient
from rundir import NoControl, read_events, write_stack
from rundir.layout import RUNS_FILE
from scenarios.injector import revert_open_faults
from tests.integration.experiments.conftest import MiniStack

ROOT = Path(__file__).resolve().parents[3]
SCENARIO = """
title = "three faults at once"
hypothesis = "h"
teaches = "rollback"
[load]
users = 2
think_time = "0.5s"
duration = "60s"
[[faults]]
at = 0
target = "cache"
action = "latency"
attributes = { latency = 50 }
[[faults]]
at = 0
target = "primary-provider"
action = "fake"
faults = { errors = { rate = 0.5 } }
[[faults]]
at = 0
target = "provider:2"
action = "freeze"
"""


def _start(
    mini: MiniStack, tmp_path: Path, *, name: str = "run", duration: str | None = None
) -> tuple[subprocess.Popen[bytes], Path]:
    scenario = tmp_path / "three.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / name
    command = [sys.executable, "-m", "chaoslab", "run", "--phase", "v2",
               "--scenario", str(scenario), "--stack", str(mini.stack_dir),
               "--out", str(out), "--no-report"]  # fmt: skip
    command += ["--duration", duration] if duration else []
    runner = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        starts = [e for e in read_events(out) if e.kind == "fault_start"] if out.exists() else []
        if len(starts) == 3:
            return runner, out
        assert runner.poll() is None, runner.communicate()[0].decode()[-2000:]
        time.sleep(0.2)
    runner.kill()
    pytest.fail("the three faults never started")


def _state(pid: int | None) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _left_behind(mini: MiniStack) -> list[str]:
    left: list[str] = []
    assert mini.stack.proxy_api is not None
    with ToxiproxyClient(mini.stack.proxy_api) as client:
        left += [f"toxic {n}" for p in client.proxies().values() for n in p.toxics()]
    with FakeAdmin(mini.fakes["openai"].admin_url) as admin:
        left += [f"fake fault {k}" for k in admin.get_faults() if k != "seed"]
    time.sleep(0.2)
    pid = mini.fakes["anthropic"].pid
    left += [f"pid {pid} stopped"] if _state(pid) == "T" else []
    return left


@pytest.fixture
def cleanup(mini_stack: MiniStack) -> Iterator[None]:
    yield
    mini_stack.resume_all()
    assert mini_stack.stack.proxy_api is not None
    with ToxiproxyClient(mini_stack.stack.proxy_api) as client:
        client.reset()
    mini_stack.fakes["openai"].reset()


@pytest.mark.usefixtures("cleanup")
def test_sigint_rolls_back_every_fault(mini_stack: MiniStack, tmp_path: Path) -> None:
    """Ctrl-C mid-run: no toxic, no fake fault, no stopped process; exit 130."""
    runner, out = _start(mini_stack, tmp_path)
    assert _state(mini_stack.fakes["anthropic"].pid) == "T"
    runner.send_signal(signal.SIGINT)
    output = runner.communicate(timeout=60)[0].decode()
    assert runner.returncode == 130, output[-2000:]
    assert _left_behind(mini_stack) == []
    ends = [e for e in read_events(out) if e.kind == "fault_end"]
    assert len(ends) == 3
    assert {e.detail["how"] for e in ends} == {"interrupt"}
    assert "Traceback" not in output


def _kill_runner_mid_fault(mini_stack: MiniStack, tmp_path: Path) -> None:
    """SIGKILL a runner (and its Locust) while its three faults are on; they stay on."""
    runner, out = _start(mini_stack, tmp_path)
    runner.kill()
    runner.wait(10)
    for pid, _began in json.loads((out / "load" / "locust-pids.json").read_text()):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    assert len(_left_behind(mini_stack)) == 3


@pytest.mark.usefixtures("cleanup")
def test_killed_runner_faults_are_reverted_by_the_next_call(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """SIGKILL leaves the faults on; revert_open_faults on the stack undoes all three."""
    _kill_runner_mid_fault(mini_stack, tmp_path)
    reverted = revert_open_faults(mini_stack.stack_dir)
    assert len(reverted) == 3
    assert _left_behind(mini_stack) == []


@pytest.mark.usefixtures("cleanup")
def test_chaoslab_down_reverts_a_killed_runners_faults(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """`chaoslab down` undoes the faults a SIGKILLed runner left open before stopping."""
    _kill_runner_mid_fault(mini_stack, tmp_path)
    # The same stack seen as one the lab does not own (as on the external backend), so that
    # `down` reverts the faults and stops nothing of the shared fixture.
    seen = tmp_path / "seen-stack"
    seen.mkdir()
    uncontrolled = tuple(
        msgspec.structs.replace(part, control=NoControl()) for part in mini_stack.stack.components
    )
    write_stack(seen, msgspec.structs.replace(mini_stack.stack, components=uncontrolled))
    shutil.copy(mini_stack.stack_dir / RUNS_FILE, seen / RUNS_FILE)
    result = CliRunner().invoke(main, ["down", "--stack", str(seen)])
    assert result.exit_code == 0, result.output
    assert result.output.count("reverted fault") == 3
    assert _left_behind(mini_stack) == []


@pytest.mark.usefixtures("cleanup")
def test_a_second_run_on_a_busy_stack_exits_2_at_once_and_no_fault_is_left(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """Two runs against one stack: the second is refused at once (exit 2, one line naming
    the first) and touches nothing; after the first ends, no fault is left on."""
    first, first_out = _start(mini_stack, tmp_path, name="first", duration="15s")
    command = [sys.executable, "-m", "chaoslab", "run", "--phase", "v2",
               "--scenario", str(tmp_path / "three.toml"), "--stack", str(mini_stack.stack_dir),
               "--out", str(tmp_path / "second"), "--no-report"]  # fmt: skip
    began = time.monotonic()
    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - began
    assert second.returncode == 2, second.stdout + second.stderr
    lines = [line for line in (second.stdout + second.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "a run is in progress" in lines[0]
    assert str(first_out) in lines[0]
    assert first.poll() is None  # at once: refused while the first still runs,
    assert took < 90  # in the time it takes to import the CLI (a loaded machine: generous)
    assert not (tmp_path / "second" / "events.jsonl").exists()
    output = first.communicate(timeout=120)[0].decode()
    assert first.returncode == 0, output[-2000:]
    assert _left_behind(mini_stack) == []
    assert not list((mini_stack.stack_dir / "scrape").glob("first-*.json"))
