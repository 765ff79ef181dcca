"""The verdict rule, not exercised, invalid runs and overrides, on constructed run dirs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reports.build import build_report
from reports.model import Report
from reports.render.text import render_text
from reports.rundata import load_run
from tests.unit.reports.builder import RunBuilder


def _report(builder: RunBuilder, *, gate: bool = False, allow: bool = False) -> Report:
    return build_report(load_run(builder.write()), gate=gate, allow_overrides=allow)


def _verdict(report: Report, name: str) -> str:
    return next(v.verdict for v in report.verdicts if v.name == name)


def test_many_good_requests_pass(tmp_path: Path) -> None:
    """6000 good requests under 0.5 s pass availability 99.9 % and p95 3 s."""
    report = _report(RunBuilder(tmp_path, duration=300).requests(rate=20, stream_every=5))
    assert _verdict(report, "availability") == "pass"
    assert _verdict(report, "latency_p95") == "pass"
    assert _verdict(report, "ttft_p95") == "pass"
    assert report.status == "met"
    assert report.exit_code == 0


def test_too_few_requests_is_inconclusive_with_a_count(tmp_path: Path) -> None:
    """1200 perfect requests cannot show 99.9 %: inconclusive, needing 3838."""
    report = _report(RunBuilder(tmp_path).requests(rate=20))
    verdict = next(v for v in report.verdicts if v.name == "availability")
    assert verdict.verdict == "inconclusive"
    assert verdict.requests_needed == 3838
    assert report.exit_code == 0
    assert any("inconclusive" in w for w in report.warnings)


def test_inconclusive_under_gate_exits_3(tmp_path: Path) -> None:
    """The same run under --gate exits 3."""
    report = _report(RunBuilder(tmp_path).requests(rate=20), gate=True)
    assert report.status == "inconclusive"
    assert report.exit_code == 3


def test_clear_breach_fails_and_exits_1(tmp_path: Path) -> None:
    """5 % failures against 99.9 % is a breach whatever the interval: exit 1."""
    builder = RunBuilder(tmp_path).requests(rate=20, fails=lambda t: round(t * 20) % 20 == 0)
    report = _report(builder)
    assert _verdict(report, "availability") == "fail"
    assert report.status == "breached"
    assert report.exit_code == 1


def test_slow_requests_fail_latency(tmp_path: Path) -> None:
    """Every request at 4 s against p95 3 s fails the latency target."""
    report = _report(RunBuilder(tmp_path).requests(rate=20, latency=lambda t: 4.0))
    assert _verdict(report, "latency_p95") == "fail"


def test_ttft_without_streams_is_not_exercised(tmp_path: Path) -> None:
    """No stream in the run: TTFT is not exercised, never a pass, and said so."""
    report = _report(RunBuilder(tmp_path, duration=300).requests(rate=20))
    assert _verdict(report, "ttft_p95") == "not_exercised"
    assert report.status == "met"
    assert any("ttft_p95" in w for w in report.warnings)


def test_failed_check_breaches(tmp_path: Path) -> None:
    """A steady-state check the runner found broken during the fault (holds false) is a
    breach, even when the run's whole availability meets the target."""
    builder = RunBuilder(tmp_path, duration=300).requests(rate=20)
    builder.steady_check("before", holds=True, requests=40, availability=1.0)
    builder.steady_check("during", holds=False, requests=40, availability=0.5, p95_s=0.2)
    report = _report(builder)
    assert _verdict(report, "availability") == "pass"
    assert _verdict(report, "check:before:steady state") == "pass"
    assert _verdict(report, "check:during:steady state") == "fail"
    during = next(v for v in report.verdicts if v.name == "check:during:steady state")
    assert "availability 50.00 %" in during.reason
    assert report.status == "breached"
    assert report.exit_code == 1


def test_a_check_that_left_cut_streams_out_says_so(tmp_path: Path) -> None:
    """A check that left out streams cut at a fault's start says how many, in its value and
    in its verdict's reason; the report's checks keep the count."""
    builder = RunBuilder(tmp_path, duration=300).requests(rate=20)
    builder.steady_check("during", holds=True, requests=66, availability=1.0, cut_at_impact=3)
    builder.steady_check("during", holds=True, requests=70, availability=1.0)
    report = _report(builder)
    during = next(v for v in report.verdicts if v.name == "check:during:steady state")
    assert during.verdict == "pass"
    assert during.reason.endswith("; 3 streams cut at a fault's start left out")
    check = next(c for c in report.checks if c.cut_at_impact)
    assert check.cut_at_impact == 3
    assert "3 streams cut at the fault's start, past their first token, left out" in str(
        check.value
    )


def test_check_over_no_request_is_not_exercised(tmp_path: Path) -> None:
    """A check window with no request: the runner writes holds true (nothing broke), and the
    report counts it as not exercised, never as a pass."""
    builder = RunBuilder(tmp_path, duration=300).requests(rate=20)
    builder.steady_check("after", holds=True, requests=0)
    assert _verdict(_report(builder), "check:after:steady state") == "not_exercised"


def test_fault_that_did_not_take_effect_makes_the_run_invalid(tmp_path: Path) -> None:
    """The runner's took-effect check false: the run tested nothing, invalid (exit 4)."""
    builder = RunBuilder(tmp_path, duration=300).requests(rate=20).fault(100, 130)
    builder.fault_check("outage", took_effect=False, evidence="fake still answers 200")
    report = _report(builder)
    assert report.status == "invalid"
    assert "outage took effect is false (fake still answers 200)" in report.invalid_reasons[0]


def test_unfinished_run_is_invalid(tmp_path: Path) -> None:
    """No run_end event: invalid, exit 4, the reason says so."""
    builder = RunBuilder(tmp_path).requests(rate=20)
    builder.finished = False
    report = _report(builder)
    assert report.status == "invalid"
    assert report.exit_code == 4
    assert "did not finish" in report.invalid_reasons[0]


def test_saturated_load_generator_is_invalid(tmp_path: Path) -> None:
    """A load generator at 97 % CPU makes the run invalid, naming the CPU."""
    builder = RunBuilder(tmp_path).requests(rate=20)
    builder.load_stats = {"cpu_max_percent": 97.0}
    report = _report(builder)
    assert report.exit_code == 4
    assert any("97 %" in r for r in report.invalid_reasons)


def test_missed_scrapes_are_invalid(tmp_path: Path) -> None:
    """A target scraped 30 of 60 times makes the run invalid."""
    builder = RunBuilder(tmp_path).requests(rate=20).scrape(60, **{"replica-1": (30, [])})
    report = _report(builder)
    assert any("missed scrapes of replica-1" in r for r in report.invalid_reasons)


def test_prometheus_missing_its_own_scrapes_is_one_stall_named_with_its_span(
    tmp_path: Path,
) -> None:
    """Prometheus missed its own scrapes from +12 to +21 s, and every target those of the same
    span: one reason, a stall with its span, not a line per target; a target that also missed
    scrapes at another time keeps its own line."""
    stall = {"prometheus": [(12.0, 21.0)], "replica-1": [(12.0, 21.0)], "replica-2": [(12.0, 21.0)]}
    builder = RunBuilder(tmp_path / "a").requests(rate=20)
    builder.scrape(30, span=(0.0, 29.0), gaps=stall,
                   **{name: (22, []) for name in stall})  # fmt: skip
    builder.end_detail["machine"] = {"cpu_s": 0.4, "io_s": 8.2, "memory_s": 0.0, "steal_s": 0.0}
    reasons = _report(builder).invalid_reasons
    assert len(reasons) == 1, reasons
    assert reasons[0].startswith("the machine or Prometheus stalled")
    assert "22 of 30 expected; none from +12 to +21 s" in reasons[0]
    assert (
        "(during the run the machine kept processes waiting 0.4 s on CPU, 8.2 s on disk, "
        "0.0 s on memory, 0.0 s for CPU the hypervisor stole)"
    ) in reasons[0]
    builder = RunBuilder(tmp_path / "b").requests(rate=20)
    gaps = {**stall, "replica-2": [(12.0, 21.0), (24.0, 28.0)]}
    counts = {"prometheus": (22, []), "replica-1": (22, []), "replica-2": (19, [])}
    builder.scrape(30, span=(0.0, 29.0), gaps=gaps, **counts)
    reasons = _report(builder).invalid_reasons
    assert reasons[0].startswith("the machine or Prometheus stalled")
    assert reasons[1:] == ["Prometheus missed scrapes of replica-2 (replica): 19 of 30 expected"]


def test_a_target_missing_scrapes_while_prometheus_scraped_itself_is_named(tmp_path: Path) -> None:
    """Only a replica missed scrapes (Prometheus scraped itself every second): that replica is
    named, and no stall is."""
    builder = RunBuilder(tmp_path).requests(rate=20)
    builder.scrape(30, span=(0.0, 29.0), gaps={"replica-1": [(12.0, 21.0)]},
                   **{"prometheus": (30, []), "replica-1": (22, [])})  # fmt: skip
    assert _report(builder).invalid_reasons == [
        "Prometheus missed scrapes of replica-1 (replica): 22 of 30 expected"
    ]


def test_part_down_outside_faults_is_invalid(tmp_path: Path) -> None:
    """A replica down at +5 s with no fault then is invalid; down inside a fault is not."""
    builder = RunBuilder(tmp_path).requests(rate=20).fault(20, 30)
    builder.scrape(60, **{"replica-1": (60, [25.0, 40.0]), "replica-2": (60, [5.0])})
    reasons = _report(builder).invalid_reasons
    assert reasons == ["replica-2 (replica) was down at +5 s, outside every fault window"]


def test_no_requests_is_invalid(tmp_path: Path) -> None:
    """A run without valid requests is invalid rather than passing."""
    report = _report(RunBuilder(tmp_path).excluded(10))
    assert report.status == "invalid"


def test_overrides_are_shown_and_loosening_ones_refused_under_gate(tmp_path: Path) -> None:
    """A scenario lowering availability to 95 % is listed; --gate refuses it (exit 2)."""
    builder = RunBuilder(tmp_path, duration=300).requests(rate=20)
    builder.info["overrides"] = {"availability": 0.95}
    report = _report(builder, gate=True)
    assert [(o.name, o.loosens) for o in report.overrides] == [("availability", True)]
    assert report.targets["availability"] == 0.95
    assert report.exit_code == 2
    assert "--allow-overrides" in report.warnings[0]
    assert _report(builder, gate=True, allow=True).exit_code == 0


def test_tightening_override_is_accepted_under_gate(tmp_path: Path) -> None:
    """A stricter latency target is not refused."""
    builder = RunBuilder(tmp_path, duration=300).requests(rate=20)
    builder.info["overrides"] = {"latency_p95_s": 1.0}
    report = _report(builder, gate=True)
    assert report.overrides[0].loosens is False
    assert report.exit_code == 0


def test_runner_periodic_checks_group_per_stage(tmp_path: Path) -> None:
    """The runner's {window, holds, requests} checks: one line per stage; a broken one fails
    it, a check over no request did not run."""
    builder = RunBuilder(tmp_path, duration=300).requests(rate=20)
    builder.checks += [
        {"window": "before", "holds": True, "requests": 50, "availability": 1.0, "p95_s": 0.4},
        {"window": "during", "holds": True, "requests": 50, "availability": 1.0, "p95_s": 0.4},
        {"window": "during", "holds": False, "requests": 40, "availability": 0.9, "p95_s": 0.4},
        {"window": "after", "holds": True, "requests": 0, "availability": None, "p95_s": None},
    ]
    report = _report(builder)
    lines = {v.name: v for v in report.verdicts if v.name.startswith("check:")}
    assert lines["check:before:steady state"].verdict == "pass"
    during = lines["check:during:steady state"]
    assert during.verdict == "fail"
    assert "broken in 1 of 2 checks" in during.reason
    assert "availability 90.00 %" in during.reason
    assert lines["check:after:steady state"].verdict == "not_exercised"


def test_locust_cpu_warning_in_its_log_is_invalid(tmp_path: Path) -> None:
    """Locust's own "CPU usage above 90%" line in load/locust.log makes the run invalid."""
    builder = RunBuilder(tmp_path).requests(rate=20)
    builder.load_stats = {"workers": 1}
    run = builder.write()
    (run / "load" / "locust.log").write_text(
        "[2026-11-30 02:00:00,000] host/WARNING/root: CPU usage above 90%! This may constrain "
        "your throughput\n"
    )
    report = build_report(load_run(run))
    assert report.exit_code == 4
    assert any("Locust warned its CPU passed 90 %" in r for r in report.invalid_reasons)


def test_fault_that_did_not_take_effect_is_invalid(tmp_path: Path) -> None:
    """The runner's {fault, took_effect: false} check: the run tested nothing, invalid."""
    builder = RunBuilder(tmp_path, duration=300).requests(rate=20).fault(20, 30)
    builder.checks.append({"fault": "outage", "took_effect": False, "evidence": "no 503 seen"})
    report = _report(builder)
    assert report.status == "invalid"
    assert "a fault did not happen: outage took effect is false (no 503 seen)" in (
        report.invalid_reasons
    )


def test_fault_that_took_effect_is_a_pass_line(tmp_path: Path) -> None:
    """{fault, took_effect: true} is a passing line under stage "fault"."""
    builder = RunBuilder(tmp_path, duration=300).requests(rate=20).fault(20, 30)
    builder.checks.append({"fault": "outage", "took_effect": True, "evidence": "confirmed"})
    assert _verdict(_report(builder), "check:fault:outage took effect") == "pass"


def test_target_that_joined_late_is_judged_on_its_span(tmp_path: Path) -> None:
    """A load exporter scraped 40 times from +15 s to +54 s (of 60) missed nothing."""
    builder = RunBuilder(tmp_path / "a").requests(rate=20)
    builder.scrape(60, span=(15.0, 54.0), **{"load-exporter": (40, [])})
    assert _report(builder).invalid_reasons == []
    builder = RunBuilder(tmp_path / "b").requests(rate=20)
    builder.scrape(60, span=(15.0, 54.0), **{"load-exporter": (20, [])})
    assert _report(builder).invalid_reasons == [
        "Prometheus missed scrapes of load-exporter (replica): 20 of 40 expected"
    ]


def test_an_exporter_down_before_the_run_starts_is_not_invalid(tmp_path: Path) -> None:
    """A scrape that found the load's exporter down 1 s before t0 (still starting) does not
    make the run invalid; down 1 s after t0 still does."""
    builder = RunBuilder(tmp_path).requests(rate=20)
    builder.scrape(60, **{"load-1": (60, [-1.0]), "replica-1": (60, [1.0])})
    reasons = _report(builder).invalid_reasons
    assert reasons == ["replica-1 (replica) was down at +1 s, outside every fault window"]


def _failing_at(*offsets: float) -> Callable[[float], bool]:
    marked = {round(o * 20) for o in offsets}
    return lambda t: round(t * 20) in marked


def test_an_auto_run_that_went_on_is_judged_by_both_looks(tmp_path: Path) -> None:
    """A run directory with a ``look`` event: the report judges availability by the exact
    two-look rule and the terminal says so on the pass line; 8 failures among 16,400, which
    one look's Wilson interval would pass, are inconclusive after two looks (at most 7)."""
    builder = RunBuilder(tmp_path, duration=820).requests(rate=20, fails=_failing_at(100, 101, 102))
    builder.look(requests=4_100, failures=3, went_on_at_most=7)
    report = _report(builder)
    availability = next(v for v in report.verdicts if v.name == "availability")
    assert availability.verdict == "pass"
    assert availability.reason.startswith(
        "two looks (auto): 3 failures among 4,100 at the first, 3 among 16,400 in all"
    )
    assert "two looks (auto)" in render_text(report)

    eight = _failing_at(*range(100, 108))
    plain = RunBuilder(tmp_path / "plain", duration=820).requests(rate=20, fails=eight)
    assert _verdict(_report(plain), "availability") == "pass"  # one look: Wilson clears it
    looked = RunBuilder(tmp_path / "looked", duration=820).requests(rate=20, fails=eight)
    looked.look(requests=4_100, failures=3, went_on_at_most=7)
    judged = next(v for v in _report(looked).verdicts if v.name == "availability")
    assert judged.verdict == "inconclusive"
    assert "the second look passes with at most 7" in judged.reason
