"""The LLM-aware checks on constructed run directories: the fakes' attempts and tokens per
client request, failover time, breaker reaction, mixed answers, the run-scaled burn rate,
and a failed check breaching the run."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from reports import render_all
from reports.build import build_report
from reports.model import LlmCheck, Report
from reports.rundata import load_run
from rundir import Component, RequestRecord, UpstreamRecord
from tests.unit.reports.builder import T0, RunBuilder

PROVIDERS = (
    Component(name="fake-openai", kind="provider", provider="openai", vendor="openai"),
    Component(name="fake-anthropic", kind="provider", provider="anthropic", vendor="anthropic"),
)


def _report(builder: RunBuilder, *, gate: bool = False) -> Report:
    return build_report(load_run(builder.write()), gate=gate)


def _checks(report: Report, name: str) -> list[LlmCheck]:
    assert report.llm is not None
    return [c for c in report.llm.checks if c.name == name]


def _answer(
    offset: float,
    rid: str,
    *,
    provider: str = "openai",
    good: bool = True,
    latency: float = 0.2,
    marks: tuple[int, ...] | None = None,
) -> RequestRecord:
    return RequestRecord(
        t=T0 + offset, user="chat", name="/v1/chat", outcome="good" if good else "failure",
        reason="ok" if good else "http_503", status=200 if good else 503, latency_s=latency,
        provider=provider if good else None, request_id=rid, marks=marks,
    )  # fmt: skip


def _attempt(offset: float, rid: str, *, outcome: str = "ok", tokens: int = 10) -> UpstreamRecord:
    failed = outcome != "ok"
    return UpstreamRecord(t=T0 + offset, rid=rid, outcome=outcome, status=503 if failed else 200,
                          completion_tokens=0 if failed else tokens)  # fmt: skip


def _two_providers(tmp_path: Path, **checks: float) -> RunBuilder:
    builder = RunBuilder(tmp_path, duration=60)
    builder.components = PROVIDERS
    builder.phase_config = {"checks": checks}
    return builder


# -- the fakes' count -------------------------------------------------------------------


def test_attempts_and_tokens_are_counted_by_the_fakes_per_client_request(tmp_path: Path) -> None:
    """Outside the fault one attempt per request; inside it each request costs a failed
    attempt at openai and 20 tokens from anthropic: 2 attempts each, max 2, 2x the tokens."""
    builder = _two_providers(tmp_path, max_attempts_per_request=1.5)
    builder.fault(20, 40, components=("fake-openai",))
    steady, faulted = [], []
    for i in range(60):
        rid = f"r{i}"
        inside = 20 <= i < 40
        builder.records.append(_answer(i, rid, provider="anthropic" if inside else "openai"))
        if inside:
            faulted.append(_attempt(i, rid, outcome="error"))
            builder.upstream_lines("fake-anthropic", [_attempt(i + 0.1, rid, tokens=20)])
        else:
            steady.append(_attempt(i, rid))
    builder.upstream_lines("fake-openai", steady + faulted)
    builder.records.append(_answer(5.5, "cached"))  # a cache hit: no fake saw it
    report = _report(builder)
    assert report.llm is not None
    spans = {s.window: s for s in report.llm.upstream}
    assert (spans["steady"].attempts_per_request, spans["steady"].max_attempts) == (1.0, 1)
    assert (spans["f1"].attempts_per_request, spans["f1"].max_attempts) == (2.0, 2)
    assert spans["f1"].failed_attempts == 20
    assert spans[None].requests == 61
    assert spans[None].reached == 60
    assert spans["f1"].tokens_per_good_answer == pytest.approx(20.0)
    assert spans["f1"].token_amplification == pytest.approx(2.0)
    states = [(c.window, c.state) for c in _checks(report, "max_attempts_per_request")]
    assert states == [(None, "pass"), ("f1", "fail")]
    assert "the fakes' count" in _checks(report, "max_attempts_per_request")[1].title


# -- failover ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_other", "limit", "state", "seconds"),
    [(20.0, 2.0, "pass", 0.2), (24.0, 2.0, "fail", 4.2), (None, 2.0, "fail", None)],
    ids=["within", "too-late", "never"],
)
def test_failover_time_from_fault_start_to_first_answer_by_another_provider(
    tmp_path: Path, first_other: float | None, limit: float, state: str, seconds: float | None
) -> None:
    """Fault at 20 s; the first answer by anthropic arrives 0.2 s after its request."""
    builder = _two_providers(tmp_path, failover_s=limit)
    builder.fault(20, 40, components=("fake-openai",))
    for i in range(60):
        moved = first_other is not None and first_other <= i < 40
        if 20 <= i < 40 and not moved:
            builder.records.append(_answer(i, f"r{i}", good=False))
        else:
            builder.records.append(_answer(i, f"r{i}", provider="anthropic" if moved else "openai"))
    report = _report(builder)
    (check,) = _checks(report, "failover_s")
    assert check.state == state
    assert check.value == (None if seconds is None else pytest.approx(seconds))
    assert report.llm is not None
    assert report.llm.failovers[0].provider == "openai"


@pytest.mark.parametrize(("takes_out", "state"), [(False, "not_exercised"), (True, "fail"),
                                                  (None, "fail")])  # fmt: skip
def test_failover_is_timed_only_after_a_fault_that_takes_the_provider_out(
    tmp_path: Path, takes_out: bool | None, state: str
) -> None:
    """openai answers slowly in the window but never fails, and nobody else answers: after a
    fault that only degrades it (a slow tail: ``takes_out`` false) no failover is due; after
    one that takes it out, or in a run recorded before the runner said, the same answers fail
    the check (no other provider answered)."""
    builder = _two_providers(tmp_path, failover_s=1.6)
    builder.fault(20, 40, components=("fake-openai",), takes_out=takes_out)
    builder.records.extend(_answer(i, f"r{i}") for i in range(60))
    (check,) = _checks(_report(builder), "failover_s")
    assert check.state == state, check


def test_failover_not_exercised_without_a_provider_fault_and_na_without_threshold(
    tmp_path: Path,
) -> None:
    builder = _two_providers(tmp_path, failover_s=2.0).requests(rate=5)
    assert _checks(_report(builder), "failover_s")[0].state == "not_exercised"
    other = _two_providers(tmp_path / "b").requests(rate=5)
    other.fault(10, 20, components=("fake-openai",))
    assert _checks(_report(other), "failover_s")[0].state == "not_applicable"


# -- breaker ----------------------------------------------------------------------------


def _breaker(
    builder: RunBuilder, replica: str, *, failures: float, opened_at: float | None
) -> None:
    """``failures`` failed attempts to openai during the 20-40 s fault; the breaker opens at
    ``opened_at`` failures (an observation in the bucket whose bound is that number)."""
    where = {"instance": replica, "provider": "openai"}
    builder.series("chat_provider_attempts_total", {**where, "outcome": "error", "kind": "x"},
                   [(10, 0), (20, 0), (41, failures), (60, failures)])  # fmt: skip
    if opened_at is None:
        return
    builder.series("chat_breaker_transitions_total", {**where, "state": "open"},
                   [(10, 0), (20, 0), (25, 1), (60, 1)])  # fmt: skip
    for bound in (5.0, 10.0, 20.0, 25.0, 30.0, float("inf")):
        label = "+Inf" if bound == float("inf") else f"{bound:g}"
        count = 1.0 if bound >= opened_at else 0.0
        builder.series("chat_breaker_failures_at_open_bucket", {**where, "le": label},
                       [(10, 0), (20, 0), (25, count), (60, count)])  # fmt: skip


@pytest.mark.parametrize(
    ("replicas", "state"),
    [
        ({"replica-1": (40.0, 10.0), "replica-2": (40.0, 20.0)}, "pass"),
        ({"replica-1": (40.0, 10.0), "replica-2": (40.0, 25.0)}, "fail"),
        ({"replica-1": (30.0, None)}, "fail"),
        ({"replica-1": (5.0, None)}, "not_exercised"),
    ],
    ids=["both-open-in-time", "one-opens-late", "never-opens", "too-few-failures"],
)
def test_breaker_opens_within_k_failures_per_replica(
    tmp_path: Path, replicas: dict[str, tuple[float, float | None]], state: str
) -> None:
    builder = _two_providers(tmp_path, breaker_opens_within_failures=20).requests(rate=5)
    builder.fault(20, 40, components=("fake-openai",))
    for replica, (failures, opened_at) in replicas.items():
        _breaker(builder, replica, failures=failures, opened_at=opened_at)
    report = _report(builder)
    (check,) = _checks(report, "breaker_opens_within_failures")
    assert check.state == state, check
    assert report.llm is not None
    assert {r.replica for r in report.llm.breakers} == set(replicas)


@pytest.mark.parametrize(("takes_out", "state"), [(False, "not_exercised"), (True, "fail"),
                                                  (None, "fail")])  # fmt: skip
def test_a_breaker_is_judged_only_after_a_fault_that_takes_the_provider_out(
    tmp_path: Path, takes_out: bool | None, state: str
) -> None:
    """28 failures at openai in the window and a breaker that never opened: a fault that only
    degraded openai (a slow tail's timeouts, a small share) asks nothing of the breaker; one
    that took it out, or a run recorded before the runner said, fails the check."""
    builder = _two_providers(tmp_path, breaker_opens_within_failures=20).requests(rate=5)
    builder.fault(20, 40, components=("fake-openai",), takes_out=takes_out)
    _breaker(builder, "replica-1", failures=28, opened_at=None)
    (check,) = _checks(_report(builder), "breaker_opens_within_failures")
    assert check.state == state, check


# -- mixed answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marks", "state"),
    [
        ([(1,), (2,), (1,)], "pass"),
        ([(1,), (1, 2), (2,)], "fail"),
        ([(1,), (1,)], "not_exercised"),
        ([None, None], "not_exercised"),
    ],
    ids=["two-providers-never-mixed", "one-mixed", "one-provider-only", "unmarked"],
)
def test_mixed_answers(tmp_path: Path, marks: list[tuple[int, ...] | None], state: str) -> None:
    builder = _two_providers(tmp_path)
    builder.records += [_answer(i, f"r{i}", marks=m) for i, m in enumerate(marks)]
    report = _report(builder)
    (check,) = _checks(report, "mixed_answers")
    assert check.state == state
    assert report.llm is not None
    assert report.llm.mixed_answers == sum(1 for m in marks if m and len(m) > 1)


# -- burn rate --------------------------------------------------------------------------


def test_burn_rate_alarms_on_a_burst_scaled_to_the_run(tmp_path: Path) -> None:
    """120 s at 10 req/s, target 99 %: windows of 10 s and 5 s; 8 s of failures burn the
    budget 100x: both windows alarm; the same run without the burst passes."""
    burst = _two_providers(tmp_path / "a", burn_rate=14.4)
    burst.duration = 120
    burst.targets = type(burst.targets)(availability=0.99, latency_p95_s=3.0, ttft_p95_s=1.5)
    burst.requests(rate=10, fails=lambda t: 60 <= t < 68)
    report = _report(burst)
    assert report.llm is not None
    assert report.llm.burn is not None
    burn = report.llm.burn
    assert (burn.long_window_s, burn.short_window_s) == (10.0, 5.0)
    assert burn.min_requests == 10
    assert burn.first_alarm_s is not None
    assert 61 <= burn.first_alarm_s <= 68
    (check,) = _checks(report, "burn_rate")
    assert check.state == "fail"
    calm = _two_providers(tmp_path / "b", burn_rate=14.4)
    calm.duration = 120
    calm.requests(rate=10)
    assert _checks(_report(calm), "burn_rate")[0].state == "pass"


def test_burn_rate_needs_enough_requests_for_one_failure_not_to_alarm(tmp_path: Path) -> None:
    """Target 99.9 %: a long window needs 70 requests; at 1 req/s none has: not exercised."""
    builder = _two_providers(tmp_path, burn_rate=14.4).requests(rate=1, fails=lambda t: t == 30)
    report = _report(builder)
    assert report.llm is not None
    assert report.llm.burn is not None
    assert report.llm.burn.min_requests == 70
    assert _checks(report, "burn_rate")[0].state == "not_exercised"


# -- gating -----------------------------------------------------------------------------


def test_a_failed_check_breaches_the_run_and_names_itself(tmp_path: Path) -> None:
    """Every target met, one mixed answer: breached, exit 1 under --gate, said in the summary."""
    builder = _two_providers(tmp_path).requests(rate=5)
    builder.targets = type(builder.targets)(availability=0.95, latency_p95_s=3.0, ttft_p95_s=1.5)
    builder.records.append(_answer(30.5, "mixed", marks=(1, 2)))
    report = _report(builder, gate=True)
    assert [v.verdict for v in report.verdicts if v.name == "availability"] == ["pass"]
    assert report.status == "breached"
    assert report.exit_code == 1
    assert "no answer mixes text from two providers" in report.summary


def test_every_output_shows_the_upstream_view_and_the_reactions(tmp_path: Path) -> None:
    """Markdown, HTML, JUnit and the terminal each carry the fakes' table and the reactions
    of a run with a provider fault: the failover line and each replica's breaker line (one
    opened in time, one never opened)."""
    builder = _two_providers(tmp_path, failover_s=2.0, breaker_opens_within_failures=20)
    builder.fault(20, 40, components=("fake-openai",))
    _breaker(builder, "replica-1", failures=40.0, opened_at=10.0)
    _breaker(builder, "replica-2", failures=30.0, opened_at=None)
    for i in range(60):
        moved = 20 <= i < 40
        builder.records.append(_answer(i, f"r{i}", provider="anthropic" if moved else "openai"))
        name = "fake-anthropic" if moved else "fake-openai"
        builder.upstream_lines(name, [_attempt(i, f"r{i}")])
    written = render_all(builder.write())
    reactions = [
        "failover f1: openai down, first answer from anthropic after",
        "breaker f1: replica-1 → openai opened after ≤ 10 failures (40 failed attempts",
        "breaker f1: replica-2 → openai never opened (30 failed attempts",
    ]
    for kind in ("md", "html", "xml"):
        text = html.unescape(written.paths[kind].read_text())
        assert "Upstream cost (the fakes' count)" in text, kind
        for line in reactions:
            assert line in text, (kind, line)
    for line in reactions:
        assert line in written.text, line
