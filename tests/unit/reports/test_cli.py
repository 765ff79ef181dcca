"""`chaoslab report`, `runs` and `compare` on constructed run directories."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from chaoslab.cli import main
from chaoslab.runs import record_run
from rundir import Targets
from tests.unit.reports.builder import RunBuilder

V1 = Targets(availability=0.95, latency_p95_s=5.0, ttft_p95_s=2.0)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _good(path: Path, **kwargs: object) -> Path:
    return RunBuilder(path, duration=300, **kwargs).requests(rate=20).write()  # type: ignore[arg-type]


def test_report_breach_exits_1_and_names_the_files(tmp_path: Path) -> None:
    """A breached run: the verdict table, the report path, exit 1."""
    run = RunBuilder(tmp_path).requests(rate=20, fails=lambda t: t >= 30).write()
    code, out, _ = _run("report", str(run))
    assert code == 1
    assert "FAIL" in out
    assert f"report: {run / 'report.html'}" in out
    assert (run / "report.xml").is_file()


def test_report_met_exits_0(tmp_path: Path) -> None:
    """A run that meets its targets exits 0."""
    code, out, _ = _run("report", str(_good(tmp_path)))
    assert code == 0, out


def test_report_inconclusive_under_gate_exits_3(tmp_path: Path) -> None:
    """Too few requests under --gate: exit 3; without --gate: 0 and a warning line."""
    run = RunBuilder(tmp_path).requests(rate=20).write()
    code, out, _ = _run("report", str(run))
    assert code == 0
    assert "warning: inconclusive targets count as met without --gate" in out
    assert _run("report", str(run), "--gate")[0] == 3


def test_an_inconclusive_report_says_how_long_a_run_would_settle_it(tmp_path: Path) -> None:
    """The warning names the requests the verdict needs and the ``--duration`` that sends
    them at the run's own rate (5 % more plus 5 s, as auto plans), under --gate too."""
    run = RunBuilder(tmp_path).requests(rate=20).write()
    code, out, _ = _run("report", str(run), "--gate")
    assert code == 3
    report = json.loads((run / "report.json").read_text())
    availability = next(v for v in report["verdicts"] if v["name"] == "availability")
    needed = availability["requests_needed"]
    rate = availability["requests"] / report["run"]["duration_s"]
    minutes = math.ceil((needed * 1.05 / rate + 5) / 60)
    assert (
        f"warning: run longer to settle them: availability ≥ 99.9 % needs ≥ {needed:,} "
        f"requests if its share holds (at this run's {rate:.1f} requests/s: "
        f"--duration {minutes}m)"
    ) in out


def test_report_invalid_run_exits_4(tmp_path: Path) -> None:
    """A run that never finished exits 4 and says why."""
    builder = RunBuilder(tmp_path).requests(rate=20)
    builder.finished = False
    code, out, _ = _run("report", str(builder.write()))
    assert code == 4
    assert "INVALID RUN" in out


def test_report_missing_dir_is_one_line_exit_2(tmp_path: Path) -> None:
    """A directory that is not a run: exit 2, one line on stderr."""
    code, _, err = _run("report", str(tmp_path / "nope"))
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("chaoslab report: ")


@pytest.mark.parametrize(
    ("option", "value"), [("--quantiles", "50,abc"), ("--quantiles", "0,100"), ("--format", "pdf")]
)
def test_report_bad_options_are_one_line_exit_2(tmp_path: Path, option: str, value: str) -> None:
    """Bad --quantiles or --format: exit 2, one line naming the option."""
    code, _, err = _run("report", str(_good(tmp_path)), option, value)
    assert code == 2
    assert err.count("\n") == 1
    assert option in err


def test_report_writes_only_the_asked_formats(tmp_path: Path) -> None:
    """--format md,xml writes those two files only, into --out."""
    out = tmp_path / "out"
    _run("report", str(_good(tmp_path / "run")), "--format", "md,xml", "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == ["report.md", "report.xml"]


def test_report_appends_to_the_github_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With GITHUB_STEP_SUMMARY set, the Markdown is appended to it."""
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    _run("report", str(_good(tmp_path / "run")))
    assert summary.read_text().startswith("## ✅ SLA met")


def _lab(tmp_path: Path) -> Path:
    """Three runs under runs/, a stack under stacks/ (the current one), a run written with
    --out elsewhere and recorded in runs.jsonl, and a link in runs/ to a run elsewhere."""
    lab = tmp_path / ".chaoslab"
    for name, phase, fails in (("a-v1", "v1", True), ("b-v3", "v3", False), ("c-v3", "v3", False)):
        builder = RunBuilder(lab / "runs" / name, phase=phase, duration=300)
        builder.requests(rate=20, fails=(lambda t: 100 <= t < 130) if fails else (lambda t: False))
        builder.fault(100, 130)
        _run("report", str(builder.write()), "--format", "json")
    stack = lab / "stacks" / "s-v3"
    stack.mkdir(parents=True)
    shutil.copy(lab / "runs" / "c-v3" / "stack.json", stack / "stack.json")
    (lab / "current").symlink_to(Path("stacks") / "s-v3")
    elsewhere = _good(tmp_path / "ci" / "sla-run")
    record_run(lab, elsewhere)
    linked = _good(tmp_path / "kept" / "linked-run")
    (lab / "runs" / "z-link").symlink_to(linked)
    return lab


def test_runs_lists_runs_only_with_phase_scenario_and_verdict(tmp_path: Path) -> None:
    """Each run is a line with its phase, scenario and verdict; the --out run recorded in
    the registry is listed, the stack directory is not."""
    code, out, _ = _run("runs", "--lab-dir", str(_lab(tmp_path)))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1 + 5  # the header, 3 runs, the --out run, the linked run
    assert any("v1" in line and "provider-outage" in line and "breached" in line for line in lines)
    assert any("sla-run (--out)" in line for line in lines)
    assert not any("s-v3" in line for line in lines)


def test_runs_json_lists_the_same_runs(tmp_path: Path) -> None:
    """--json: one object per run, with where it lives."""
    code, out, _ = _run("runs", "--lab-dir", str(_lab(tmp_path)), "--json")
    assert code == 0
    listed = json.loads(out)
    assert len(listed) == 5
    assert sum(entry["outside_runs_dir"] for entry in listed) == 1


def test_runs_prune_deletes_only_inside_the_runs_folder(tmp_path: Path) -> None:
    """--prune --keep 0 deletes the runs directly inside runs/, never the --out run, the
    run behind a link, or the stack."""
    lab = _lab(tmp_path)
    code, out, _ = _run("runs", "--lab-dir", str(lab), "--prune", "--keep", "0")
    assert code == 0
    assert sorted(p.name for p in (lab / "runs").iterdir()) == ["z-link"]
    assert "deleted 3 of 5" in out
    assert (tmp_path / "ci" / "sla-run" / "events.jsonl").is_file()
    assert (tmp_path / "kept" / "linked-run" / "events.jsonl").is_file()
    assert (lab / "stacks" / "s-v3" / "stack.json").is_file()


def test_runs_prune_dry_run_deletes_nothing(tmp_path: Path) -> None:
    """--dry-run only says what would go."""
    lab = _lab(tmp_path)
    _, out, _ = _run("runs", "--lab-dir", str(lab), "--prune", "--keep", "0", "--dry-run")
    assert "would delete 3 of 5" in out
    assert len(list((lab / "runs").iterdir())) == 4


def test_runs_bad_age_is_exit_2(tmp_path: Path) -> None:
    """--older-than 7 weeks is refused with the accepted forms."""
    code, _, err = _run("runs", "--lab-dir", str(tmp_path), "--prune", "--older-than", "7w")
    assert code == 2
    assert "7d" in err


def test_compare_two_runs_flags_a_regression(tmp_path: Path) -> None:
    """RUN_B with an outage the RUN_A rode out: exit 1 and the regression named."""
    lab = _lab(tmp_path)
    code, out, _ = _run("compare", str(lab / "runs" / "b-v3"), str(lab / "runs" / "a-v1"),
                        "--out", str(tmp_path / "cmp"))  # fmt: skip
    assert code == 1
    assert out.rstrip().endswith("exit 1")
    assert "availability: regressed (" in out
    assert "p95 latency: unchanged (" in out
    assert "regression: availability regressed from" in out
    assert (tmp_path / "cmp" / "compare.html").is_file()


def test_compare_two_equal_runs_is_no_regression(tmp_path: Path) -> None:
    """Two runs alike: exit 0."""
    lab = _lab(tmp_path)
    code, out, _ = _run("compare", str(lab / "runs" / "b-v3"), str(lab / "runs" / "c-v3"),
                        "--out", str(tmp_path / "cmp"))  # fmt: skip
    assert code == 0
    assert "no regression" in out
    assert "availability: unchanged" in out


def test_compare_improvement_is_named_and_exits_0(tmp_path: Path) -> None:
    """RUN_B riding out the outage RUN_A did not: availability improved, exit 0."""
    lab = _lab(tmp_path)
    code, out, _ = _run("compare", str(lab / "runs" / "a-v1"), str(lab / "runs" / "b-v3"),
                        "--out", str(tmp_path / "cmp"))  # fmt: skip
    assert code == 0, out
    assert "availability: improved (" in out


def test_compare_of_two_different_scenarios_is_one_line_exit_2(tmp_path: Path) -> None:
    """Apples to oranges: one line naming both scenarios, exit 2, nothing written."""
    lab = _lab(tmp_path)
    other = RunBuilder(tmp_path / "other", duration=300).requests(rate=20)
    other.info["scenario"] = "redis-down"
    code, _, err = _run("compare", str(lab / "runs" / "b-v3"), str(other.write()),
                          "--out", str(tmp_path / "cmp"))  # fmt: skip
    assert code == 2
    assert err.count("\n") == 1
    assert "'provider-outage'" in err
    assert "'redis-down'" in err
    assert not (tmp_path / "cmp").exists()


def test_compare_with_an_invalid_run_exits_4(tmp_path: Path) -> None:
    """A run that never finished cannot be compared: exit 4, named."""
    lab = _lab(tmp_path)
    broken = RunBuilder(tmp_path / "broken", duration=300).requests(rate=20)
    broken.finished = False
    code, out, _ = _run("compare", str(lab / "runs" / "b-v3"), str(broken.write()),
                        "--out", str(tmp_path / "cmp"))  # fmt: skip
    assert code == 4
    assert "invalid run, no comparison" in out


def test_compare_scenario_takes_the_latest_run_per_phase(tmp_path: Path) -> None:
    """--scenario picks v1's run and the newest v3 run, and notes the missing phases."""
    lab = _lab(tmp_path)
    code, out, err = _run("compare", "--scenario", "provider-outage", "--lab-dir", str(lab),
                          "--out", str(tmp_path / "cmp"))  # fmt: skip
    assert code == 0
    assert "a-v1" in out
    assert "b-v3" in out or "c-v3" in out
    assert "no v2 run of provider-outage" in err


def test_compare_without_runs_is_exit_2(tmp_path: Path) -> None:
    """No run of the scenario: one line naming the command that makes one."""
    code, _, err = _run("compare", "--scenario", "x", "--lab-dir", str(tmp_path))
    assert code == 2
    assert "chaoslab run --phase v1 --scenario x" in err


def test_compare_run_needs_a_scenario(tmp_path: Path) -> None:
    """--run without --scenario is bad usage: one line, exit 2, nothing started."""
    code, _, err = _run("compare", "--run", "--lab-dir", str(tmp_path))
    assert code == 2
    assert "--run needs --scenario" in err


def test_compare_run_unknown_scenario_is_one_line(tmp_path: Path) -> None:
    """--run with a scenario that does not exist: one line naming it, exit 2."""
    code, _, err = _run("compare", "--scenario", "no-such", "--run", "--lab-dir", str(tmp_path))
    assert code == 2
    assert err.count("\n") == 1
    assert "no-such" in err


def test_report_on_a_stack_directory_says_it_is_not_a_run(tmp_path: Path) -> None:
    """A directory with stack.json but no events: exit 2, naming `chaoslab run`."""
    run = _good(tmp_path)
    (run / "events.jsonl").unlink()
    code, _, err = _run("report", str(run))
    assert code == 2
    assert "not a run" in err
    assert "chaoslab run" in err


def test_report_defaults_to_the_newest_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without RUN_DIR, the newest run under .chaoslab/runs is rendered."""
    RunBuilder(tmp_path / ".chaoslab" / "runs" / "one", duration=300).requests(rate=20).write()
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run("report", "--format", "json")
    assert code == 0, out
    assert (tmp_path / ".chaoslab" / "runs" / "one" / "report.json").is_file()


def test_report_without_any_run_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without RUN_DIR and without runs: one line naming `chaoslab run`."""
    monkeypatch.chdir(tmp_path)
    code, _, err = _run("report")
    assert code == 2
    assert "chaoslab run" in err


def test_click_usage_errors_are_one_line(tmp_path: Path) -> None:
    """An out-of-range option is one line naming the command and --help, exit 2."""
    code, _, err = _run("report", str(tmp_path), "--recovery-window", "0")
    assert code == 2
    assert err.count("\n") == 1
    assert "report: Invalid value for '--recovery-window'" in err  # prog name: the runner's
    assert "report --help)" in err


def test_an_unwritable_step_summary_is_a_warning_and_keeps_the_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GITHUB_STEP_SUMMARY a directory: a warning line, and the exit code stays the
    verdict's (1 breached here), never a traceback."""
    (tmp_path / "summary").mkdir()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary"))
    run = RunBuilder(tmp_path / "run").requests(rate=20, fails=lambda t: t >= 30).write()
    code, _, err = _run("report", str(run))
    assert code == 1
    assert "warning: GITHUB_STEP_SUMMARY" in err
    assert "Traceback" not in err


def test_report_out_an_existing_file_is_one_line_exit_2(tmp_path: Path) -> None:
    """--out naming a file: exit 2, one line."""
    (tmp_path / "taken").write_text("x")
    code, _, err = _run("report", str(_good(tmp_path / "run")), "--out", str(tmp_path / "taken"))
    assert code == 2
    assert err.count("\n") == 1
    assert "--out" in err


def test_a_tampered_target_is_bad_input_not_a_pass(tmp_path: Path) -> None:
    """A stack.json availability target of -3 does not read: exit 2, one line."""
    run = _good(tmp_path / "run")
    stack = run / "stack.json"
    text = re.sub(r'"availability": [0-9.]+', '"availability": -3', stack.read_text(), count=1)
    stack.write_text(text)
    code, _, err = _run("report", str(run))
    assert code == 2, err
    assert "availability" in err


def test_a_fault_named_like_math_renders(tmp_path: Path) -> None:
    """A fault id with $...$ (matplotlib's math) is drawn as written, the report renders."""
    builder = RunBuilder(tmp_path / "run", duration=300).requests(rate=20)
    builder.fault(100, 130, fault_id="$\\undefinedcmd$")
    code, _, err = _run("report", str(builder.write()))
    assert code in (0, 1), err
    assert "undefinedcmd" in (tmp_path / "run" / "report.html").read_text()


def test_an_internal_error_is_one_line_exit_4_never_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug inside a command: one line and exit 4 (1 means breached), no traceback."""
    import reports

    def broken(*_: object, **__: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(reports, "render_all", broken)
    monkeypatch.delenv("CHAOSLAB_DEBUG", raising=False)
    code, _, err = _run("report", str(_good(tmp_path / "run")))
    assert code == 4
    assert err.count("\n") == 1
    assert "internal error: KeyError" in err


def test_report_reads_the_gate_from_run_start(tmp_path: Path) -> None:
    """A run started with --gate and inconclusive: `report` exits 3 as `run` did, and every
    banner names that code; --no-gate re-renders it as 0."""
    builder = RunBuilder(tmp_path).requests(rate=20)
    builder.info["gate"] = True
    run = builder.write()
    code, out, _ = _run("report", str(run))
    assert code == 3
    assert "exit 3 (inconclusive under --gate)" in out
    assert "exit 3 (inconclusive under --gate)" in (run / "report.md").read_text()
    assert "exit 3 (inconclusive under --gate)" in (run / "report.html").read_text()
    assert 'name="exit_code" value="3"' in (run / "report.xml").read_text()
    assert _run("report", str(run), "--no-gate")[0] == 0


def test_report_breach_without_gate_exits_1_and_says_so(tmp_path: Path) -> None:
    """A breach is exit 1 with or without --gate, and the banners say exit 1 (breached)."""
    run = RunBuilder(tmp_path).requests(rate=20, fails=lambda t: t >= 30).write()
    code, out, _ = _run("report", str(run))
    assert code == 1
    assert "BREACHED · exit 1 (breached)" in out
    assert "exit 1 (breached)" in (run / "report.html").read_text()


def test_report_names_the_stacks_seed_and_up_command(tmp_path: Path) -> None:
    """A stack started with --seed 7: the report says seed 7 and its Reproduce section starts
    with the stack's `chaoslab up --phase v3 --seed 7`."""
    run = RunBuilder(tmp_path, seed=7).requests(rate=20).write()
    _, out, _ = _run("report", str(run))
    assert "seed 7" in out.splitlines()[0]
    markdown = (run / "report.md").read_text()
    assert "chaoslab up --phase v3 --seed 7" in markdown
    assert "chaoslab up --phase v3 --seed 7" in (run / "report.html").read_text()


def test_hypothesis_quotes_the_scaled_fault_times(tmp_path: Path) -> None:
    """A 90 s scenario run for 30 s: "503 for 30 s" reads "503 for 10 s"; latencies stay."""
    builder = RunBuilder(tmp_path).requests(rate=20)
    builder.info["hypothesis"] = "With the provider answering 503 for 30 s, +500 ms, it holds."
    builder.info["scale"] = 1 / 3
    _, out, _ = _run("report", str(builder.write()))
    assert "hypothesis: With the provider answering 503 for 10 s, +500 ms, it holds." in out


def test_runs_prune_never_lists_or_deletes_a_run_in_progress(tmp_path: Path) -> None:
    """A run whose runner (pid and start time) still runs and that has no run_end:
    `runs --prune --keep 0` neither lists nor deletes it; the same run ended is pruned."""
    import os

    from lab.proc import start_time

    lab = tmp_path / ".chaoslab"
    builder = RunBuilder(lab / "runs" / "live-v1", duration=300).requests(rate=20)
    builder.finished = False
    builder.info = {
        **builder.info,
        "runner_pid": os.getpid(),
        "runner_start": start_time(os.getpid()),
    }
    live = builder.write()
    code, out, _ = _run("runs", "--lab-dir", str(lab), "--prune", "--keep", "0")
    assert code == 0, out
    assert "live-v1" not in out
    assert live.is_dir()
    assert (live / "events.jsonl").is_file()
    ended = RunBuilder(lab / "runs" / "done-v1", duration=300).requests(rate=20).write()
    _run("runs", "--lab-dir", str(lab), "--prune", "--keep", "0")
    assert not ended.exists()
    assert live.is_dir()
