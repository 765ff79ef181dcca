"""Distributed Locust across machines, as docs/load.md shows it: `chaoslab run
--expect-workers` prints the master's address, a worker started by hand from another
directory (no config, no run directory) joins it with the documented command, and its
per-request records reach the run directory through the master, so the counts add up."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import click

from chaoslab.cli import main
from rundir import read_requests
from tests.integration.experiments.conftest import MiniStack

ROOT = Path(__file__).resolve().parents[3]
LOAD_DOC = ROOT / "docs" / "load.md"
MASTER = re.compile(r"Locust master: (\S+):(\d+)")


def _doc_commands() -> tuple[list[str], list[str]]:
    """The `chaoslab run` and the worker's `locust` command from docs/load.md's block."""
    text = LOAD_DOC.read_text(encoding="utf-8").replace("\\\n", " ")
    run = next(line for line in text.splitlines() if "chaoslab run" in line and "--expect" in line)
    worker = next(line for line in text.splitlines() if line.startswith("uv run locust"))
    return shlex.split(run), shlex.split(worker)


def test_documented_run_command_parses_with_the_cli() -> None:
    """Every flag of docs/load.md's distributed `chaoslab run` exists on the command."""
    run, _worker = _doc_commands()
    command = main.get_command(click.Context(main), "run")
    assert command is not None
    at = run.index("run", run.index("chaoslab"))
    context = command.make_context("run", run[at + 1 :])
    assert context.params["expect_workers"] == 2


def test_master_beyond_loopback_needs_allow_remote(mini_stack: MiniStack, tmp_path: Path) -> None:
    """--master-bind-host 0.0.0.0 without --allow-remote: one line naming the fix, exit 2."""
    done = subprocess.run(
        [sys.executable, "-m", "chaoslab", "run", "--phase", "v2", "--scenario", "baseline",
         "--stack", str(mini_stack.stack_dir), "--master-bind-host", "0.0.0.0"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert "--allow-remote" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_worker_joining_the_printed_master_adds_up(mini_stack: MiniStack, tmp_path: Path) -> None:
    """One local worker plus one started by hand (docs/load.md's command, from a directory
    without the run): both send load, and the request logs in the run directory (the
    remote one written by the master) sum to Locust's total."""
    scenario = tmp_path / "short.toml"
    scenario.write_text(
        'title = "t"\nhypothesis = "h"\nteaches = "x"\n[load]\nusers = 4\nduration = "6s"\n'
        'think_time = "0.2s"\nmix = { chat = 1, stream = 1 }\n'
    )
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != "CHAOSLAB_LOAD_CONFIG"}
    runner = subprocess.Popen(
        [sys.executable, "-m", "chaoslab", "run", "--phase", "v2", "--scenario", str(scenario),
         "--stack", str(mini_stack.stack_dir), "--out", str(out), "--no-report",
         "--workers", "1", "--expect-workers", "1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    assert runner.stdout is not None
    seen: list[str] = []
    address = None
    deadline = time.monotonic() + 120
    while address is None and time.monotonic() < deadline:
        line = runner.stdout.readline()
        if not line:
            break
        seen.append(line)
        address = MASTER.search(line)
    assert address is not None, "".join(seen)
    _run, documented = _doc_commands()
    argv = documented[2:]  # after `uv run`
    argv[argv.index("--master-host") + 1] = address.group(1)
    argv[argv.index("--master-port") + 1] = address.group(2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "loadtests").symlink_to(ROOT / "loadtests")
    worker = subprocess.Popen(
        [sys.executable, "-m", *argv], cwd=elsewhere, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        rest, _ = runner.communicate(timeout=240)
        worker_output, _ = worker.communicate(timeout=60)
    finally:
        for process in (runner, worker):
            if process.poll() is None:
                process.kill()
                process.wait(10)
    assert runner.returncode == 0, "".join(seen) + rest
    records = read_requests(out)
    per_worker = Counter(record.worker for record in records)
    remote = [name for name in per_worker if name.startswith("remote-")]
    assert len(per_worker) == 2, (per_worker, worker_output[-2000:])
    assert len(remote) == 1, per_worker
    assert all(count > 0 for count in per_worker.values())
    assert (out / "load" / f"requests-{remote[0]}.jsonl").is_file()
    stats = json.loads((out / "load" / "locust.json").read_text())
    assert sum(s["num_requests"] for s in stats) == sum(per_worker.values())
    config = json.loads((out / "load" / "config.json").read_text())
    assert config["workers"] == 2  # the open model's split counts the remote worker
