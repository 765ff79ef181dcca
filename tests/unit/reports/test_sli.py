"""SLIs from constructed per-request logs: availability, quantiles, windows, budget."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from reports.build import build_report
from reports.rundata import load_run
from rundir import read_stack, write_stack
from tests.unit.reports.builder import RunBuilder


def test_availability_counts_good_over_valid(tmp_path: Path) -> None:
    """Excluded requests count in neither good nor valid."""
    builder = RunBuilder(tmp_path, duration=10).requests(rate=10, fails=lambda t: t < 1)
    report = build_report(load_run(builder.excluded(50).write()))
    assert (report.sli.good, report.sli.failure, report.sli.excluded) == (90, 10, 50)
    assert report.sli.availability == pytest.approx(0.9)


def test_exact_quantiles_from_the_log(tmp_path: Path) -> None:
    """Latencies 0.01 .. 1.00 s give p50 0.50 s, p95 0.95 s, p99 0.99 s exactly."""
    builder = RunBuilder(tmp_path, duration=10).requests(rate=10, latency=lambda t: t / 10 + 0.01)
    report = build_report(load_run(builder.write()))
    assert report.sli.latency["p50"] == pytest.approx(0.50)
    assert report.sli.latency["p95"] == pytest.approx(0.95)
    assert report.sli.latency["p99"] == pytest.approx(0.99)


def test_configurable_quantiles(tmp_path: Path) -> None:
    """Asking for p90 and p99.9 labels them so."""
    builder = RunBuilder(tmp_path, duration=10).requests(rate=10)
    report = build_report(load_run(builder.write()), quantiles=(0.9, 0.999))
    assert set(report.sli.latency) == {"p90", "p99.9"}


def test_error_budget_consumed(tmp_path: Path) -> None:
    """2 failures in 1000 requests at 99.9 % use twice the budget."""
    builder = RunBuilder(tmp_path, duration=50).requests(rate=20, fails=lambda t: t in (10.0, 20.0))
    report = build_report(load_run(builder.write()))
    assert report.sli.failure == 2
    assert report.error_budget_consumed == pytest.approx(2.0)


def test_window_sli_counts_only_requests_inside(tmp_path: Path) -> None:
    """A fault from 20 to 30 s holds the 200 requests sent then and their failures."""
    builder = RunBuilder(tmp_path).requests(rate=20, fails=lambda t: 22 <= t < 25).fault(20, 30)
    window = build_report(load_run(builder.write())).windows[0]
    assert window.sli.requests == 200
    assert window.sli.failure == 60
    assert window.sli.availability == pytest.approx(0.7)
    assert (window.start, window.end) == (20, 30)


def test_impact_is_the_first_failure_after_the_start(tmp_path: Path) -> None:
    """Failures from +22 s in a fault starting at +20 s: impact 2 s."""
    builder = RunBuilder(tmp_path).requests(rate=20, fails=lambda t: 22 <= t < 25).fault(20, 30)
    window = build_report(load_run(builder.write())).windows[0]
    assert window.impact_s == pytest.approx(2.0)


def test_recovery_is_measured_at_bin_resolution(tmp_path: Path) -> None:
    """Failures until +33 s after a fault ending at +30 s: recovered at +3 s (the first 1 s
    bin from which every bin holds), not after a rolling window's length."""
    builder = RunBuilder(tmp_path).requests(rate=20, fails=lambda t: 22 <= t < 33).fault(20, 30)
    report = build_report(load_run(builder.write()))
    window = report.windows[0]
    assert report.timeline.bin_s == 1.0
    assert window.recovered
    assert window.recovery_s == pytest.approx(3.0, abs=0.01)


def test_recovery_is_a_number_on_a_short_run_back_at_full_availability(tmp_path: Path) -> None:
    """A 30 s run whose fault ends at +20 s and whose failures stop 1 s later recovered after
    1 s (a rolling 10 s window needed more run than was left and said "never")."""
    builder = RunBuilder(tmp_path, duration=30.0)
    builder.requests(rate=20, fails=lambda t: 10 <= t < 21).fault(10, 20)
    window = build_report(load_run(builder.write())).windows[0]
    assert window.recovered
    assert window.recovery_s == pytest.approx(1.0, abs=0.01)


def test_recovery_is_none_while_the_last_bins_still_fail(tmp_path: Path) -> None:
    """Failures to the run's end after the fault: not recovered."""
    builder = RunBuilder(tmp_path).requests(rate=20, fails=lambda t: t >= 20).fault(20, 30)
    window = build_report(load_run(builder.write())).windows[0]
    assert not window.recovered
    assert window.recovery_s is None


def test_recovery_is_zero_when_nothing_failed_after(tmp_path: Path) -> None:
    """Failures only inside the window that age out by its end: recovery 0."""
    builder = RunBuilder(tmp_path).requests(rate=20, fails=lambda t: 20 <= t < 21).fault(20, 35)
    window = build_report(load_run(builder.write())).windows[0]
    assert window.recovery_s == 0.0


def test_no_recovery_when_failures_last_to_the_end(tmp_path: Path) -> None:
    """Failing until the run ends: not recovered."""
    builder = RunBuilder(tmp_path).requests(rate=20, fails=lambda t: t >= 20).fault(20, 30)
    window = build_report(load_run(builder.write())).windows[0]
    assert not window.recovered
    assert window.recovery_s is None


def test_mitigation_is_the_first_breaker_opening(tmp_path: Path) -> None:
    """A breaker opening counted at +23 s in a fault from +20 s: mitigation 3 s."""
    builder = RunBuilder(tmp_path).requests(rate=20).fault(20, 30)
    builder.series(
        "chat_breaker_transitions_total",
        {"provider": "openai", "state": "open", "instance": "replica-1"},
        [(t, 0.0 if t < 23 else 1.0) for t in range(61)],
    )
    builder.series(
        "chat_provider_failovers_total",
        {"from_provider": "openai", "to_provider": "anthropic", "reason": "error"},
        [(t, 0.0 if t < 25 else 5.0) for t in range(61)],
    )
    window = build_report(load_run(builder.write())).windows[0]
    assert window.mitigation_s == pytest.approx(3.0)
    assert window.mitigation_kind == "breaker opened"


def test_failover_counts_as_mitigation_when_no_breaker(tmp_path: Path) -> None:
    """A failover counter born at +21 s (a new series) is the mitigation."""
    builder = RunBuilder(tmp_path).requests(rate=20).fault(20, 30)
    builder.series(
        "chat_provider_failovers_total",
        {"from_provider": "openai", "to_provider": "anthropic", "reason": "error"},
        [(t, 2.0 + t) for t in range(21, 61)],
    )
    window = build_report(load_run(builder.write())).windows[0]
    assert window.mitigation_s == pytest.approx(1.0)
    assert window.mitigation_kind == "failover"


def test_no_prometheus_data_means_no_mitigation(tmp_path: Path) -> None:
    """Without prom/ the mitigation is unknown and a warning says why."""
    builder = RunBuilder(tmp_path).requests(rate=20).fault(20, 30)
    report = build_report(load_run(builder.write()))
    assert report.windows[0].mitigation_s is None
    assert any("no Prometheus data" in w for w in report.warnings)


def test_open_fault_runs_to_the_end(tmp_path: Path) -> None:
    """A fault with no end counts to the run's end and is flagged."""
    builder = RunBuilder(tmp_path).requests(rate=20).fault(40, None)
    report = build_report(load_run(builder.write()))
    assert report.windows[0].end == 60
    assert not report.windows[0].closed
    assert any("never ended" in w for w in report.warnings)


def test_provider_view_and_server_count(tmp_path: Path) -> None:
    """Attempts, errors, retries, failovers and the service's own count come from prom."""
    builder = RunBuilder(tmp_path, duration=10).requests(rate=10, latency=lambda t: 0.01)

    def grow(rate: float) -> list[tuple[float, float]]:
        return [(t, rate * t) for t in range(11)]

    builder.series(
        "chat_provider_attempts_total",
        {"provider": "openai", "outcome": "success", "kind": ""},
        grow(9),
    )
    builder.series(
        "chat_provider_attempts_total",
        {"provider": "openai", "outcome": "error", "kind": "http_5xx"},
        grow(1),
    )
    builder.series("chat_provider_retries_total", {"provider": "openai", "reason": "x"}, grow(0.5))
    builder.series(
        "chat_http_requests_total",
        {"route": "/v1/chat", "method": "POST", "status": "200"},
        grow(10),
    )
    builder.series(
        "chat_http_requests_total",
        {"route": "/v1/health", "method": "GET", "status": "200"},
        grow(3),
    )
    builder.series("chat_upstream_attempts_per_request_sum", {}, grow(11))
    builder.series("chat_upstream_attempts_per_request_count", {}, grow(10))
    report = build_report(load_run(builder.write()))
    (openai,) = report.providers
    assert (openai.attempts, openai.errors, openai.retries) == (100, 10, 5)
    assert report.server is not None
    assert report.server.requests == 100
    assert report.server.difference == 0
    assert report.attempts_per_request == pytest.approx(1.1)


def test_counter_reset_is_not_a_negative_increase(tmp_path: Path) -> None:
    """A restart resets a counter: 100->150, reset to 10, ->60 is an increase of 110."""
    builder = RunBuilder(tmp_path, duration=10).requests(rate=10)
    builder.series(
        "chat_http_requests_total",
        {"route": "/v1/chat", "method": "POST", "status": "200"},
        [(0, 100.0), (5, 150.0), (6, 10.0), (10, 60.0)],
    )
    report = build_report(load_run(builder.write()))
    assert report.server is not None
    assert report.server.requests == 110


def test_timeline_bins_the_run(tmp_path: Path) -> None:
    """A 60 s run gets 1 s bins; failures land in their bins."""
    builder = RunBuilder(tmp_path).requests(rate=20, fails=lambda t: 22 <= t < 25)
    timeline = build_report(load_run(builder.write())).timeline
    assert timeline.bin_s == 1
    assert len(timeline.t) == 60
    assert timeline.failures[22] == 20
    assert timeline.availability[23] == 0.0
    assert timeline.availability[10] == 1.0


def test_histogram_quantile_interpolates_inside_the_bucket(tmp_path: Path) -> None:
    """100 observations: 50 under 1.0 s, 40 in (1.0, 1.1], 10 in (1.1, +Inf]: p50 = 1.0,
    p90 = 1.1, p95 falls in +Inf and reads as the highest finite bound."""
    builder = RunBuilder(tmp_path, duration=10).requests(rate=10)
    name = "chat_http_request_duration_seconds_bucket"
    for le, total in (("1.0", 50.0), ("1.1", 90.0), ("+Inf", 100.0)):
        labels = {"route": "/v1/chat", "method": "POST", "le": le}
        builder.series(name, labels, [(0, 0.0), (10, total)])
    builder.series(
        "chat_http_requests_total",
        {"route": "/v1/chat", "method": "POST", "status": "200"},
        [(0, 0), (10, 100)],
    )
    report = build_report(load_run(builder.write()), quantiles=(0.5, 0.7, 0.9, 0.95))
    assert report.server is not None
    assert report.server.latency["p50"] == pytest.approx(1.0)
    assert report.server.latency["p70"] == pytest.approx(1.05)
    assert report.server.latency["p90"] == pytest.approx(1.1)
    assert report.server.latency["p95"] == pytest.approx(1.1)


def test_mitigation_not_in_a_phase_without_breaker_or_failover(tmp_path: Path) -> None:
    """A phase whose service flags turn breaker and failover off: "none in this phase"."""
    run = RunBuilder(tmp_path).requests(rate=20).fault(20, 30).write()
    flags = {"CHAT_BREAKER_ENABLED": False, "CHAT_FAILOVER_ENABLED": False}
    stack = read_stack(run)
    write_stack(run, msgspec.structs.replace(stack, phase_config={"service": flags}))
    window = build_report(load_run(run)).windows[0]
    assert window.mitigation_s is None
    assert window.mitigation_kind == "none in this phase"


def test_reconciliation_counts_client_requests_ended_inside_the_counted_span(
    tmp_path: Path,
) -> None:
    """The service's counter sampled at +2 s and +8 s counts what ended in between: the
    client's figure beside it is the requests that ended in (2, 8], not the whole run."""
    builder = RunBuilder(tmp_path, duration=10).requests(rate=10, latency=lambda t: 0.05)
    builder.series("chat_http_requests_total",
                   {"route": "/v1/chat", "method": "POST", "status": "200"},
                   [(2, 500.0), (8, 560.0)])  # fmt: skip
    report = build_report(load_run(builder.write()))
    assert report.server is not None
    assert report.server.requests == 60
    assert report.server.client_requests == 60
    assert report.server.difference == 0
    assert report.sli.requests == 100


def test_requests_outside_the_run_window_do_not_count(tmp_path: Path) -> None:
    """Requests sent before run_start or after run_end (warm-up, the tail kept for the last
    scrape) are not the run's."""
    builder = RunBuilder(tmp_path, duration=10).requests(rate=10)
    builder.requests(rate=10, start=-2.0, end=0.0, fails=lambda t: True)
    builder.requests(rate=10, start=10.0, end=12.0, fails=lambda t: True)
    report = build_report(load_run(builder.write()))
    assert report.sli.requests == 100
    assert report.sli.failure == 0


def test_a_counter_series_first_seen_after_its_targets_first_scrape_counts_from_zero(
    tmp_path: Path,
) -> None:
    """A route's counter on a replica scraped from -0.5 s first appears at +0.5 s with 3 (its
    first requests came in between): those 3 count, so the service's figure matches the
    client's. (Counted from its first sample, CI once read 146 against the client's 149.)"""
    builder = RunBuilder(tmp_path, duration=10).requests(rate=10, latency=lambda t: 0.05)
    replica = {"instance": "replica-1", "job": "replica"}
    scrapes = [(t - 0.5, 1.0) for t in range(11)]  # -0.5 .. 9.5
    builder.series("up", replica, scrapes)
    chat = {**replica, "route": "/v1/chat", "method": "POST", "status": "200"}
    builder.series("chat_http_requests_total", chat, [(t, 0.0) for t, _ in scrapes[:1]]
                   + [(t, 5.0 * (t + 0.5) - 3.0) for t, _ in scrapes[1:]])  # fmt: skip
    born = {**replica, "route": "/v1/chat/completions", "method": "POST", "status": "200"}
    builder.series("chat_http_requests_total", born,
                   [(t, 5.0 * (t + 0.5) - 2.0) for t, _ in scrapes[1:]])  # fmt: skip
    report = build_report(load_run(builder.write()))
    assert report.server is not None
    # /v1/chat: 0 -> 47 over the span; the new series: 3 at +0.5 s -> 48 at +9.5 s, all 48
    assert report.server.requests == 47 + 48
