"""`chaoslab run --duration auto` on a real (small) stack: the plan is printed before the
load starts, the run lasts what the plan says, sends the requests a conclusive pass needs,
and the report shows offered vs achieved rate and goodput."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from chaoslab.run.plan import requests_needed
from rundir import read_events, read_requests
from tests.integration.experiments.conftest import MiniStack

ROOT = Path(__file__).resolve().parents[3]
RATE = 30.0


def test_duration_auto_prints_its_plan_and_sends_what_a_pass_needs(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """The mini stack's 99 % target needs 381 requests: at 30/s the 4 s scenario becomes
    ~18 s, the plan line comes before the load, and the run holds at least 381 requests."""
    scenario = tmp_path / "short.toml"
    scenario.write_text(
        'title = "t"\nhypothesis = "h"\nteaches = "x"\n[load]\nduration = "4s"\n'
        "mix = { chat = 1, stream = 1 }\n"
    )
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "chaoslab", "run", "--phase", "v2", "--scenario", str(scenario),
         "--run-dir", str(mini_stack.stack_dir), "--out", str(out), "--duration", "auto",
         "--rate", f"{RATE:g}"],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    needed = requests_needed(0.99)
    assert needed == 381
    first = done.stdout.splitlines()[0]
    assert first.startswith("plan V2: open model, 30 requests/s offered · ")
    assert "(auto: the scenario's 4 s with its steady spans lengthened" in first
    assert "381 needed for a conclusive 99 %" in first
    start = next(e for e in read_events(out) if e.kind == "run_start")
    planned = needed * 1.05 / RATE + 5.0
    assert abs(start.detail["duration_s"] - planned) < 0.01
    assert start.detail["plan"]["auto"] is True
    events = read_events(out)
    end = next(e.t for e in events if e.kind == "run_end")
    inside = [r for r in read_requests(out) if start.t <= r.t < end]
    assert len(inside) >= needed
    report = json.loads((out / "report.json").read_text())
    load = report["load"]
    assert load["model"] == "open"
    assert load["offered_rate"] == RATE
    assert RATE * 0.8 <= load["achieved_rate"] <= RATE * 1.1
    assert 0 < load["goodput"] <= load["achieved_rate"]
    assert "load: offered 30.0/s (open model) · achieved" in done.stdout
