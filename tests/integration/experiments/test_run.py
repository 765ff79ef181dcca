"""`chaoslab run` against a running stack: refusals before the start, the abort rule,
runs sharing one stack, and Locust's web UI."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from chaoslab.run.experiment import RunOptions, run_experiment
from fakes.llm.client import FakeAdmin
from rundir import read_events, read_requests
from tests.integration.experiments.conftest import MiniStack

ROOT = Path(__file__).resolve().parents[3]
ABORTING = """
title = "errors everywhere"
hypothesis = "h"
teaches = "abort"
[abort]
budget = 1.0
min_requests = 5
[steady_state]
check_every = "1s"
[load]
users = 3
think_time = "0.1s"
mix = { chat = 1 }
duration = "40s"
[[faults]]
at = 0
target = "provider:1"
action = "fake"
faults = { errors = { rate = 1.0, mix = { "500" = 1 } } }
[[faults]]
at = 0
target = "provider:2"
action = "fake"
faults = { errors = { rate = 1.0, mix = { "500" = 1 } } }
"""


def test_scenario_needing_a_missing_role_is_refused_before_it_starts(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """A third provider on a two-provider stack: one line naming it, exit 2, nothing run."""
    scenario = tmp_path / "third.toml"
    scenario.write_text(
        'title = "t"\nhypothesis = "h"\nteaches = "x"\n[[faults]]\nat = 1\n'
        'target = "provider:3"\naction = "freeze"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "chaoslab", "run", "--phase", "v2", "--scenario", str(scenario),
         "--stack", str(mini_stack.stack_dir), "--out", str(tmp_path / "run")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "chaoslab run: faults[0] (freeze on provider:3): target provider:3: "
        "phase v2 has 2 provider(s)"
    )
    assert not (tmp_path / "run").exists()


def test_bad_scenario_file_exits_2_with_one_line(tmp_path: Path) -> None:
    """A scenario file that does not validate: one line naming file, line and key; exit 2."""
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "t"\nhypothesis = "h"\nteaches = "x"\n[load]\nusers = 0\n')
    done = subprocess.run(
        [sys.executable, "-m", "chaoslab", "run", "--phase", "v1", "--scenario", str(bad)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "bad.toml:5: load.users:" in done.stderr


def test_error_budget_gone_aborts_and_rolls_back(mini_stack: MiniStack, tmp_path: Path) -> None:
    """Every provider failing: the abort rule stops the run early and the faults are undone."""
    scenario = tmp_path / "aborting.toml"
    scenario.write_text(ABORTING)
    started = time.monotonic()
    result = run_experiment(
        RunOptions(phase="v2", scenario=str(scenario), out=tmp_path / "run",
                   stack_dir=mini_stack.stack_dir, report=False)
    )  # fmt: skip
    assert result.status == "aborted", result
    assert time.monotonic() - started < 35
    events = read_events(tmp_path / "run")
    assert [e.kind for e in events].count("abort") == 1
    assert sum(e.kind == "fault_end" for e in events) == 2
    for fake in mini_stack.fakes.values():
        with FakeAdmin(fake.admin_url) as admin:
            assert "errors" not in admin.get_faults()


def test_two_runs_share_one_stack_with_their_own_data(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """Two runs one after the other on one stack: each its own events and request log."""
    scenario = tmp_path / "short.toml"
    scenario.write_text(
        'title = "t"\nhypothesis = "h"\nteaches = "x"\n[load]\nusers = 2\nduration = "4s"\n'
        'think_time = "0.2s"\nmix = { chat = 1 }\n'
    )
    runs = [tmp_path / "a", tmp_path / "b"]
    for out in runs:
        result = run_experiment(
            RunOptions(phase="v2", scenario=str(scenario), out=out,
                       stack_dir=mini_stack.stack_dir, report=False)
        )  # fmt: skip
        assert result.status == "ok"
    first, second = (read_requests(run) for run in runs)
    assert first
    assert second
    for run in runs:  # the load generator's peak CPU is recorded for the report's validity
        cpu = json.loads((run / "load" / "stats.json").read_text())["cpu_max_percent"]
        assert isinstance(cpu, float)
        assert 0.0 <= cpu <= 150.0
    assert max(r.t for r in first) < min(r.t for r in second)
    # what a run registers on the stack is gone once it ended (nothing of it left open)
    listed = (mini_stack.stack_dir / "experiments.txt").read_text().split()
    assert not {str(run) for run in runs} & set(listed)
    assert not [p for p in (mini_stack.stack_dir / "scrape").glob("*.json") if p.stem[0] in "ab"]


def test_run_start_records_versions_and_the_labs_commit(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """run_start names the package versions and the lab checkout's commit (for "reproduce")."""
    scenario = tmp_path / "short.toml"
    scenario.write_text(
        'title = "t"\nhypothesis = "h"\nteaches = "x"\n[load]\nusers = 1\nduration = "2s"\n'
        'think_time = "0.2s"\nmix = { chat = 1 }\n'
    )
    out = tmp_path / "run"
    run_experiment(
        RunOptions(phase="v2", scenario=str(scenario), out=out,
                   stack_dir=mini_stack.stack_dir, report=False)
    )  # fmt: skip
    start = next(e for e in read_events(out) if e.kind == "run_start")
    assert {"python", "llm-chaos-lab", "openai", "anthropic"} <= set(start.detail["versions"])
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", start.detail["git_commit"])


def test_ui_serves_locusts_web_ui_on_loopback(mini_stack: MiniStack, tmp_path: Path) -> None:
    """--ui: Locust's web UI answers on a loopback port during the run."""
    scenario = tmp_path / "short.toml"
    scenario.write_text(
        'title = "t"\nhypothesis = "h"\nteaches = "x"\n[load]\nusers = 1\nduration = "6s"\n'
        "mix = { chat = 1 }\n"
    )
    out = tmp_path / "run"
    seen: list[int] = []

    def watch() -> None:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not seen:
            events = read_events(out) if out.exists() else []
            url = next((e.detail.get("ui") for e in events if e.kind == "load_start"), None)
            if url:
                with contextlib.suppress(httpx.HTTPError):
                    seen.append(httpx.get(url, timeout=2).status_code)
            time.sleep(0.3)

    watcher = threading.Thread(target=watch)
    watcher.start()
    run_experiment(
        RunOptions(phase="v2", scenario=str(scenario), out=out, ui=True,
                   stack_dir=mini_stack.stack_dir, report=False)
    )  # fmt: skip
    watcher.join()
    assert seen == [200]
    ui = next(e.detail["ui"] for e in read_events(out) if e.kind == "load_start")
    assert ui.startswith("http://127.0.0.1:")


def test_runner_with_two_workers_adds_up_exactly(mini_stack: MiniStack, tmp_path: Path) -> None:
    """`run --workers 2`: a master and two workers; their logs sum to the master's count."""
    scenario = tmp_path / "short.toml"
    scenario.write_text(
        'title = "t"\nhypothesis = "h"\nteaches = "x"\n[load]\nusers = 4\nduration = "5s"\n'
        'think_time = "0.2s"\nmix = { chat = 1, stream = 1 }\n'
    )
    out = tmp_path / "run"
    result = run_experiment(
        RunOptions(phase="v2", scenario=str(scenario), out=out, workers=2,
                   stack_dir=mini_stack.stack_dir, report=False)
    )  # fmt: skip
    assert result.status == "ok", result
    records = read_requests(out)
    workers = {r.worker for r in records}
    assert len(workers) == 2
    stats = json.loads((out / "load" / "locust.json").read_text())
    assert sum(s["num_requests"] for s in stats) == len(records)


def test_an_internal_error_after_the_start_is_one_line_exit_4(
    mini_stack: MiniStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug once the run started: one line naming it, exit 4 (never 1, "breached"), the
    traceback in RUN/error.txt, run_end written, the stack's registrations removed."""
    from click.testing import CliRunner

    from chaoslab.cli import main
    from chaoslab.run import experiment

    def broken(*_: object, **__: object) -> None:
        raise KeyError("a bug in the loop")

    monkeypatch.setattr(experiment._Run, "_loop", broken)
    scenario = tmp_path / "short.toml"
    scenario.write_text(
        'title = "t"\nhypothesis = "h"\nteaches = "x"\n[load]\nusers = 2\nduration = "4s"\n'
        'think_time = "0.2s"\nmix = { chat = 1 }\n'
    )
    out = tmp_path / "broken"
    result = CliRunner().invoke(main, ["run", "--phase", "v2", "--scenario", str(scenario),
                                       "--stack", str(mini_stack.stack_dir), "--out", str(out),
                                       "--no-report", "--users", "2"])  # fmt: skip
    assert result.exit_code == 4, result.output
    errors = [line for line in result.output.splitlines() if "internal error" in line]
    assert len(errors) == 1
    assert "KeyError" in errors[0]
    assert "Traceback" not in result.output
    assert "a bug in the loop" in (out / "error.txt").read_text()
    assert [e.detail["status"] for e in read_events(out) if e.kind == "run_end"] == ["error"]
    assert not list((mini_stack.stack_dir / "scrape").glob("broken-*.json"))
