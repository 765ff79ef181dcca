"""From a loaded run directory to a ``Report``: a pure function (no clock, no socket)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from reports.divergence import divergence_warnings
from reports.eventlog import run_events
from reports.llm import llm_report
from reports.load import cli_minutes, load_rates, send_seconds
from reports.model import Check, Report, RunFacts, Status, TargetVerdict
from reports.rundata import RunData
from reports.serverside import attempts_per_request, provider_views, server_view
from reports.sli import error_budget_consumed, latency_histogram, sli_of, timeline
from reports.verdict import (
    availability_verdict,
    check_verdicts,
    effective_targets,
    exit_code,
    invalid_reasons,
    quantile_verdict,
    status_of,
)
from reports.windows import RECOVERY_WINDOW_S, answered_around, scale_times, window_slis
from rundir import Event, Stack
from rundir.events import Check as CheckDetail
from rundir.events import detail

__all__ = ["DEFAULT_QUANTILES", "build_report"]

DEFAULT_QUANTILES = (0.5, 0.95, 0.99)


def build_report(
    run: RunData,
    *,
    gate: bool | None = None,
    allow_overrides: bool | None = None,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    recovery_window_s: float = RECOVERY_WINDOW_S,
    generated_at: float = 0.0,
) -> Report:
    info = run.info
    # unset: what the run was started with (run_start), so `report` returns what `run` did
    if gate is None:
        gate = info.gate
    if allow_overrides is None:
        allow_overrides = info.allow_overrides
    requested = msgspec.structs.asdict(info.overrides)
    targets, overrides = effective_targets(run.stack.targets, requested)
    changed = {o.name for o in overrides}
    records = run.run_requests
    sli = sli_of(records, quantiles)
    tl = timeline(records, t0=run.start, duration=run.duration)
    windows = window_slis(
        records,
        run.faults,
        prom=run.prom,
        t0=run.start,
        run_end=run.end,
        target=targets["availability"],
        quantiles=quantiles,
        window_s=recovery_window_s,
        mitigation_applicable=_has_mitigation(run.stack.phase_config),
        timeline=tl,
    )
    checks = [_check(e, run.start) for e in run.events if e.kind == "check"]
    good = [r for r in records if r.outcome == "good"]
    verdicts: list[TargetVerdict] = [
        availability_verdict(
            sli, targets["availability"], overridden="availability" in changed, look=run.look
        ),
        quantile_verdict(
            name="latency_p95",
            title=f"p95 latency ≤ {targets['latency_p95_s']:g} s",
            values=[r.latency_s for r in good],
            q=0.95,
            target=targets["latency_p95_s"],
            missing="no request succeeded",
            overridden="latency_p95_s" in changed,
        ),
        quantile_verdict(
            name="ttft_p95",
            title=f"TTFT p95 ≤ {targets['ttft_p95_s']:g} s",
            values=[r.ttft_s for r in good if r.ttft_s is not None],
            q=0.95,
            target=targets["ttft_p95_s"],
            missing="no stream succeeded (the scenario sends none)",
            overridden="ttft_p95_s" in changed,
        ),
        *check_verdicts(checks),
    ]
    invalid = invalid_reasons(run, windows, sli, checks)
    llm = llm_report(run, records, availability_target=targets["availability"], quantiles=quantiles)
    windows = answered_around(windows, llm.failovers)
    failed_checks = [c for c in llm.checks if c.state == "fail"]
    status = status_of(verdicts, invalid)
    if status in ("met", "inconclusive") and failed_checks:
        status = "breached"
    loosening = [o for o in overrides if o.loosens]
    refused = gate and bool(loosening) and not allow_overrides
    server = server_view(run.prom, records=run.requests, quantiles=quantiles, t0=run.start)
    events = run_events(run)
    warnings = _warnings(run, verdicts, status, gate=gate)
    warnings += divergence_warnings(server, records, events, t0=run.start)
    if refused:
        names = ", ".join(o.name for o in loosening)
        warnings.insert(
            0,
            f"--gate refuses this run: the scenario loosens the phase's targets ({names}); "
            "pass --allow-overrides to accept them",
        )
    attempts = attempts_per_request(run.prom)
    return Report(
        generated_at=generated_at,
        status=status,
        exit_code=exit_code(status, gate=gate, refused_overrides=refused),
        gate=gate,
        summary=_summary(run, status, verdicts, invalid, [c.title for c in failed_checks]),
        invalid_reasons=invalid,
        warnings=warnings,
        run=_facts(run),
        targets=targets,
        quantiles=list(quantiles),
        overrides=overrides,
        verdicts=verdicts,
        sli=sli,
        error_budget_consumed=error_budget_consumed(sli, targets["availability"]),
        windows=windows,
        recovery_window_s=recovery_window_s,
        checks=checks,
        server=server,
        providers=provider_views(run.prom, run.stack),
        attempts_per_request=attempts,
        timeline=tl,
        latency_histogram=latency_histogram(records),
        llm=llm,
        load=load_rates(records, duration_s=run.duration, info=info, targets=targets),
        events=events,
        warmup_requests=sum(1 for r in run.requests if r.t < run.start),
    )


def _has_mitigation(phase_config: dict[str, Any]) -> bool:
    """Whether the phase's service has a breaker or failover (unknown: assume it may)."""
    flags = phase_config.get("service")
    if not isinstance(flags, dict):
        return True
    keys = ("CHAT_BREAKER_ENABLED", "CHAT_FAILOVER_ENABLED")
    if not any(key in flags for key in keys):
        return True
    return any(flags.get(key) is True for key in keys)


def _check(event: Event, t0: float) -> Check:
    """A ``check`` event as a Check. The runner writes two kinds (``rundir.events.Check``):
    a fault's ``{fault, took_effect, evidence}`` (stage ``fault``) and the periodic steady
    state ``{window, holds, requests, availability, p95_s, cut_at_impact}`` (a check over no
    request did not run: neither passed nor failed)."""
    seen = detail(event, CheckDetail)
    if seen.fault is not None:  # the runner confirming a fault really happened
        return Check(
            t=event.t - t0,
            stage="fault",
            name=f"{seen.fault} took effect",
            passed=seen.took_effect,
            value=seen.evidence,
        )
    parts = [f"{seen.requests or 0} requests"]
    if seen.availability is not None:
        parts.append(f"availability {seen.availability * 100:.2f} %")
    if seen.p95_s is not None:
        parts.append(f"p95 {seen.p95_s:.3f} s")
    if seen.cut_at_impact:
        streams = "stream" if seen.cut_at_impact == 1 else "streams"
        parts.append(f"{seen.cut_at_impact} {streams} cut at the fault's start, past their "
                     "first token, left out (the availability counts them)")  # fmt: skip
    return Check(
        t=event.t - t0,
        stage=seen.window or "",
        name="steady state",
        passed=None if not seen.requests else seen.holds,
        value=", ".join(parts),
        cut_at_impact=seen.cut_at_impact,
    )


def _facts(run: RunData) -> RunFacts:
    info = run.info
    return RunFacts(
        run_dir=run.run_dir,
        phase=run.stack.phase,
        phase_title=run.stack.phase_title,
        backend=run.stack.backend,
        scenario=info.scenario,
        hypothesis=scale_times(info.hypothesis, info.scale),
        seed=info.seed if info.seed is not None else run.stack.seed,
        stack_seed=run.stack.seed,
        up_command=up_command(run.stack),
        command=info.command_line,
        git_commit=info.git_commit,
        versions=dict(info.versions),
        t0=run.start,
        duration_s=run.duration,
        finished=run.finished,
        end_status=run.end_status,
        end_reason=run.end_reason,
    )


def up_command(stack: Stack) -> str:
    """The ``chaoslab up`` that makes a stack like this one (phase, seed, backend)."""
    parts = ["chaoslab", "up", "--phase", stack.phase, "--seed", str(stack.seed)]
    if stack.backend != "local":
        parts += ["--backend", stack.backend]
    return " ".join(parts)


def _warnings(
    run: RunData, verdicts: Sequence[TargetVerdict], status: Status, *, gate: bool
) -> list[str]:
    out: list[str] = []
    if status == "inconclusive":
        settle = _settle(run, verdicts)
        if not gate:
            out.append(f"inconclusive targets count as met without --gate; {settle}")
        else:
            out.append(settle)
    skipped = [v.name for v in verdicts if v.verdict == "not_exercised"]
    if skipped:
        out.append(f"not exercised (no verdict): {', '.join(skipped)}")
    if run.prom is None:
        out.append("no Prometheus data in prom/: no server-side view, mitigation or scrape checks")
    elif run.prom.index is not None and run.prom.index.errors:
        out.append(f"Prometheus queries failed: {'; '.join(run.prom.index.errors[:3])}")
    if run.end_status == "aborted":
        out.append(f"the run was aborted early: {run.end_reason or 'abort rule'}")
    open_faults = [f.id for f in run.faults if not f.closed]
    if open_faults:
        out.append(f"faults never ended (counted to the run's end): {', '.join(open_faults)}")
    return out


def _settle(run: RunData, verdicts: Sequence[TargetVerdict]) -> str:
    """How to settle the inconclusive targets: the requests the most demanding one needs
    (at the shares this run measured) and the ``--duration`` that sends them at this run's
    rate, as ``--duration auto`` plans it (``send_seconds``)."""
    needs = [
        (v.requests_needed, v.title)
        for v in verdicts
        if v.verdict == "inconclusive" and v.requests_needed is not None
    ]
    if not needs:
        return "run longer to settle them"
    needed, title = max(needs)
    rate = len(run.run_requests) / run.duration if run.duration > 0 else 0.0
    text = f"run longer to settle them: {title} needs ≥ {needed:,} requests if its share holds"
    if rate <= 0:
        return text
    duration = cli_minutes(send_seconds(needed, rate))
    return f"{text} (at this run's {rate:.1f} requests/s: --duration {duration})"


def _summary(
    run: RunData,
    status: Status,
    verdicts: Sequence[TargetVerdict],
    invalid: Sequence[str],
    failed_checks: Sequence[str] = (),
) -> str:
    what = " on ".join(p for p in (run.info.scenario, run.stack.phase.upper()) if p)
    if status == "invalid":
        return f"{what}: invalid run, no verdict ({invalid[0]})"
    counts = {k: sum(1 for v in verdicts if v.verdict == k) for k in ("pass", "fail")}
    if status == "breached":
        failed = ", ".join([*(v.title for v in verdicts if v.verdict == "fail"), *failed_checks])
        return f"{what}: SLA breached ({failed})"
    if status == "inconclusive":
        unsure = ", ".join(v.title for v in verdicts if v.verdict == "inconclusive")
        return f"{what}: inconclusive ({unsure}); {counts['pass']} passed"
    return f"{what}: SLA met ({counts['pass']} passed)"
