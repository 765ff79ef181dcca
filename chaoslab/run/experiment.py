"""``run_experiment``: one scenario against one stack, leaving its raw data in a run directory.

Order: validate the scenario; find the stack (or bring one up); refuse roles or controls it
lacks; revert faults a killed runner left open; write ``RUN/stack.json``, the scenario and
``run_start``; start Locust; play the timeline while a live line shows elapsed, users, RPS,
errors, p95 and the active fault, checking the steady state before/during/after and the
abort rule; then, on ANY exit, roll every fault back, stop Locust, write ``run_end``, save
Prometheus's data and the report, and take down a stack this run brought up.

About 400 lines, on purpose: the run is one sequence with one clean-up path, and the
guarantee that every fault is rolled back on any exit is easiest to check in one place;
the Locust processes, the live display, the stack's use and clean-up are modules of their own.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import msgspec

from chaoslab.run.cleanup import cleanup_runs, register, unregister
from chaoslab.run.cpu import CpuWatch
from chaoslab.run.display import LiveLine
from chaoslab.run.live import LiveStats, budget_used
from chaoslab.run.loadconfig import build_load_config, load_model
from chaoslab.run.locust import LocustRun, check_master_bind
from chaoslab.run.metrics import RunnerMetrics
from chaoslab.run.plan import DEFAULT_RATE, KEY_SHARE, LoadPlan, key_rate_limit, make_plan
from chaoslab.run.provenance import git_commit, versions
from chaoslab.run.stackuse import StackUse, acquire
from lab.proc import start_time
from lab.stack.runlock import RunnerLock
from loadtests.config import write_config
from reports.stats import wilson
from rundir import Stack, append_events, write_stack
from rundir.events import (
    Abort,
    Check,
    Detail,
    LoadStart,
    LoadStop,
    Overrides,
    RunEnd,
    RunPlan,
    RunStart,
    event,
)
from rundir.layout import (
    ERROR_FILE,
    LAB_DIR,
    LOAD_CONFIG_FILE,
    LOAD_DIR,
    LOAD_STATS_FILE,
    RULES_DIR,
    RUNS_DIR,
    SCENARIO_FILE,
    SCRAPE_DIR,
    STOP_FILE,
    new_dir,
)
from scenarios.injector import (
    Injector,
    PlannedFault,
)
from scenarios.loader import ScenarioFile, load_scenario
from scenarios.targets import check_scenario, refuse_loosening

__all__ = ["RunFailed", "RunOptions", "RunResult", "run_experiment"]

EXIT_INTERRUPTED = 130
TAIL_S = 2.0
"""The load runs this long past ``run_end`` so Prometheus scrapes its final counts."""
HARD_STOP_S = 120.0
"""Locust ends by itself this long past the duration if the runner never says when."""


def _write_stop(run_dir: Path, at: float) -> None:
    """Tell the Locust shape when to stop (Unix time), in ``RUN/load/stop-at``."""
    path = run_dir / LOAD_DIR / STOP_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{at:.3f}", encoding="utf-8")
    tmp.replace(path)


UI_KEEP_S = 30.0
"""``--ui`` on a terminal: Locust's page stays up this long after the load ends."""


class RunFailed(Exception):
    """An internal error after the run started (faults rolled back, load stopped): one line,
    exit 4; the traceback is in ``RUN/error.txt``."""

    def __init__(self, message: str, run_dir: Path) -> None:
        super().__init__(message)
        self.run_dir = run_dir


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    phase: str
    scenario: str
    duration: float | None = None
    auto_duration: bool = False
    """``--duration auto``: sized from the phase's availability target (``plan.py``)."""
    keep_fault_times: bool = False
    """A longer duration lengthens the steady spans only (set by auto and by ``compare``)."""
    users: int | None = None
    """Closed-model users (``--users``); None: the open model unless the scenario says."""
    rate: float | None = None
    """The open model's offered requests/s (``--rate``); None: the scenario's, else
    ``DEFAULT_RATE``."""
    seed: int | None = None
    """None: the stack's seed (the one ``chaoslab up --seed`` was given)."""
    backend: str = "local"
    out: Path | None = None
    fresh: bool = False
    ui: bool = False
    workers: int | None = 0
    """Locust workers (0: one standalone process; None: ``--workers auto``)."""
    expect_workers: int = 0
    """Workers that join the master from elsewhere, besides ``workers`` started here."""
    master_bind_host: str = "127.0.0.1"
    master_port: int | None = None
    allow_remote: bool = False
    gate: bool = False
    allow_overrides: bool = False
    stack_dir: Path | None = None
    report: bool = True
    command: tuple[str, ...] = ()


@dataclass
class RunResult:
    run_dir: Path
    status: str = "ok"
    reason: str = ""
    exit_code: int = 0
    requests: int = 0
    """The run's requests (sent between run_start and run_end): the report's count."""
    warmup: int = 0
    """Requests sent before run_start (the load's warm-up), not counted anywhere else."""
    availability: float | None = None
    verdict: str = ""
    """The report's status (met, breached, inconclusive, invalid); empty without a report."""
    faults: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    report_text: str = ""
    plan: LoadPlan | None = None


def _check_out(out: Path) -> None:
    """``--out`` must be a new or empty directory (checked before anything starts)."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: --out is a file; name a new or empty directory")
    if out.is_dir() and any(out.iterdir()):
        raise FileExistsError(f"{out}: --out must be a new or empty directory")


@contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM and SIGINT raise KeyboardInterrupt (once): cleanup always runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def run_experiment(
    options: RunOptions, *, live: LiveLine | None = None, progress: Any = None
) -> RunResult:
    """Run one experiment; bad input raises ``ValueError`` subclasses with one line."""
    scenario_file = load_scenario(options.scenario)
    from lab.phases import get_phase

    phase = get_phase(options.phase)  # an unknown phase: one line before anything is made
    if options.out is not None:
        _check_out(options.out)
    check_master_bind(options.master_bind_host, allow_remote=options.allow_remote)
    if options.gate and not options.allow_overrides:
        refuse_loosening(scenario_file.scenario, phase.sla())
    run_dir = (
        options.out
        or new_dir(LAB_DIR / RUNS_DIR, f"{options.phase}-{scenario_file.name}", mkdir=False)
    ).resolve()

    def before_up() -> None:
        """A role the phase lacks: refused before a stack is brought up for nothing."""
        if options.backend == "local":
            from lab.stack.sketch import sketch

            check_scenario(scenario_file.scenario, sketch(phase))

    with _signals_raise():
        use = acquire(
            options.phase,
            backend=options.backend,
            seed=options.seed or 0,
            fresh=options.fresh,
            stack_dir=options.stack_dir,
            progress=progress,
            before_up=before_up,
        )
        lock: RunnerLock | None = None
        try:
            check_scenario(scenario_file.scenario, use.stack)
            # one runner per stack: a second run is refused here, before it touches anything
            lock = RunnerLock.take(use.stack_dir, run_dir=run_dir)
            run = _Run(options, scenario_file, use, live or LiveLine(None), run_dir=run_dir)
            return run.play()
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            if lock is not None:
                lock.release()
            use.release()


class _Run:
    def __init__(
        self,
        options: RunOptions,
        scenario: ScenarioFile,
        use: StackUse,
        live: LiveLine,
        *,
        run_dir: Path,
    ) -> None:
        self.options = options
        self.file = scenario
        self.scenario = scenario.scenario
        self.use = use
        self.stack: Stack = use.stack
        self.live = live
        self.run_dir = run_dir
        self.result = RunResult(run_dir=self.run_dir)
        self.rate, self.users = load_model(
            self.scenario, self.stack, users=options.users, rate=options.rate,
            default_rate=DEFAULT_RATE,
        )  # fmt: skip
        self._check_key_limit()
        self.plan = make_plan(
            phase=self.stack.phase,
            target=self.scenario.steady_state.availability or self.stack.targets.availability,
            scenario_duration=float(self.scenario.load.duration),
            duration=options.duration,
            auto=options.auto_duration,
            rate=self.rate,
            users=self.users,
            think_time=float(self.scenario.load.think_time),
            workers=options.workers,
            brings_up=False,
            keep_fault_times=options.keep_fault_times,
        )
        self.result.plan = self.plan
        self.duration = self.plan.duration_s
        self.workers = self.plan.workers
        self.seed = options.seed if options.seed is not None else self.stack.seed
        self.metrics = RunnerMetrics()
        self.cpu = CpuWatch()

    def _check_key_limit(self) -> None:
        """The open model rotates over the load keys; refuse a rate that would trip the
        service's per-key limiter (the lab's ``default`` tier) on them."""
        if self.rate is None or self.stack.backend != "local":
            return
        from lab.stack.config import DEFAULT_RATE_TIERS

        per_key = key_rate_limit(DEFAULT_RATE_TIERS)
        keys = len(self.stack.load_api_keys or (self.stack.api_key,))
        if per_key is not None and self.rate > keys * per_key * KEY_SHARE:
            most = keys * per_key * KEY_SHARE
            raise ValueError(
                f"--rate {self.rate:g} would trip the service's per-key limit "
                f"({DEFAULT_RATE_TIERS} on {keys} load keys): offer at most {most:g} requests/s"
            )

    def _event(self, detail: Detail, *, t: float | None = None) -> None:
        append_events(self.run_dir, [event(detail, t=t)])

    def _prepare(self) -> None:
        _check_out(self.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # what a killed runner left: faults, Locust, scrape targets (we hold the lock)
        for line in cleanup_runs(self.use.stack_dir, stack=self.stack):
            self.result.faults.append(line.replace("reverted fault", "reverted left-over fault"))
        write_stack(self.run_dir, self.stack)
        self._scale_alerts()
        shutil.copyfile(self.file.path, self.run_dir / SCENARIO_FILE)
        register(self.use.stack_dir, self.run_dir)

    def _scale_alerts(self) -> None:
        """Rewrite the local stack's run-scaled burn-rate rule for this run's length and
        have Prometheus reload it (``ChatSLOBurnRateRun``: windows run/12 and run/144)."""
        rules_dir = self.use.stack_dir / RULES_DIR
        url = self.stack.prometheus_url
        if self.stack.backend != "local" or url is None or not rules_dir.is_dir():
            return
        import urllib.request

        from lab.phases import PhaseError, get_phase
        from lab.stack.rules import write_run_burn_rules

        try:
            phase = get_phase(self.stack.phase)
        except PhaseError:
            return
        write_run_burn_rules(phase, rules_dir, duration_s=self.duration, scrape_s=1.0)
        reload = urllib.request.Request(f"{url.rstrip('/')}/-/reload", method="POST")  # noqa: S310
        with contextlib.suppress(OSError):
            urllib.request.urlopen(reload, timeout=5).close()  # noqa: S310 - the stack's own

    def play(self) -> RunResult:
        self._prepare()
        for line in self.plan.lines():
            self.live.note(line)
        config = build_load_config(
            self.stack, self.scenario, run_dir=self.run_dir, duration=self.duration,
            users=self.users, arrival_rate=self.rate, seed=self.seed,
            workers=self._load_processes(),
            scrape_dir=self.use.stack_dir / SCRAPE_DIR,
        )  # fmt: skip
        config_path = write_config(self.run_dir / LOAD_DIR / LOAD_CONFIG_FILE, config)
        self.live.users = self.live.users or (None if config.arrival_rate else config.users)
        self.live.rate = config.arrival_rate
        steady = self.scenario.steady_state
        overrides = Overrides(availability=steady.availability,
                              latency_p95_s=steady.latency_p95_s,
                              ttft_p95_s=steady.ttft_p95_s)  # fmt: skip
        target = steady.availability or self.stack.targets.availability
        self.metrics.serve(name=self.run_dir.name, scrape_dirs=[self.use.stack_dir / SCRAPE_DIR])
        run_start = RunStart(
            scenario=self.file.name, title=self.scenario.title,
            hypothesis=self.scenario.hypothesis, seed=self.seed,
            stack_seed=self.stack.seed, gate=self.options.gate,
            allow_overrides=self.options.allow_overrides,
            duration_s=self.duration, users=config.users,
            scale=1.0 if self.plan.stretched
            else self.duration / float(self.scenario.load.duration),
            arrival_rate=config.arrival_rate, workers=self.workers,
            expect_workers=self.options.expect_workers,
            plan=RunPlan(
                load_model="open" if self.plan.open_model else "closed",
                offered_rate=self.plan.rate if self.plan.open_model else None,
                duration_s=self.plan.duration_s,
                scenario_duration_s=self.plan.scenario_duration_s,
                auto=self.plan.auto, stretched=self.plan.stretched,
                requests_needed=self.plan.requests_needed,
                wall_s=self.plan.wall_s, decidable=self.plan.decidable,
                advice=self.plan.advice,
            ),
            command=list(self.options.command), overrides=overrides,
            stack_dir=str(self.use.stack_dir), brought_up=self.use.brought_up,
            runner_metrics=f"127.0.0.1:{self.metrics.port}", runner_pid=os.getpid(),
            runner_start=start_time(os.getpid()),
            versions=versions(), git_commit=git_commit(),
        )  # fmt: skip
        ui_port = None
        if self.options.ui:
            from lab.net import free_port

            ui_port = free_port()
        locust = LocustRun(run_dir=self.run_dir, config_path=config_path,
                           duration=self.duration + HARD_STOP_S, workers=self.workers,
                           ui_port=ui_port, expect_workers=self.options.expect_workers,
                           master_bind_host=self.options.master_bind_host,
                           master_port=self.options.master_port,
                           ui_keep_s=self._ui_keep_s())  # fmt: skip
        injector = Injector(self.stack, self.scenario, run_dir=self.run_dir,
                            seed=self.seed, duration=self.duration,
                            keep_fault_times=self.plan.stretched,
                            on_change=self._fault_changed)  # fmt: skip
        stats = LiveStats(self.run_dir)
        stats.since = math.inf  # warm-up until the run starts
        how = "run_end"
        started = False
        from chaoslab.runs import record_run

        record_run(LAB_DIR, self.run_dir)  # `chaoslab runs` lists an --out run too
        try:
            locust.start()
            if locust.ui_url:
                kept = f" (stays up {UI_KEEP_S:.0f} s after the load)" if self._ui_keep_s() else ""
                self.live.note(f"Locust web UI: {locust.ui_url}{kept}")
            if locust.master_address:
                self.live.note(f"Locust master: {locust.master_address}")
            if self.options.expect_workers:
                self.live.note(
                    f"waiting for {self.options.expect_workers} more worker(s): "
                    f"{locust.join_command()}"
                )
            self._first_request(locust, stats)
            local = self.workers or (0 if self.options.expect_workers else 1)
            self._wait_scraped(local)
            zero = time.time()
            _write_stop(self.run_dir, zero + self.duration + TAIL_S)
            self._event(msgspec.structs.replace(run_start, timeline_zero=zero), t=zero)
            stats.since = zero  # the live count is the report's: requests sent from here
            started = True
            self._event(LoadStart(users=config.users, ui=locust.ui_url,
                                  master=locust.master_address))  # fmt: skip
            self._loop(locust, injector, stats, target, zero)
        except KeyboardInterrupt as interrupt:
            how = "interrupt"
            self.result.status, self.result.exit_code = "interrupted", EXIT_INTERRUPTED
            self.result.reason = (
                f"interrupted ({interrupt.args[0] if interrupt.args else 'SIGINT'})"
            )
        except Exception as error:
            how = "error"
            self.result.status, self.result.reason = "error", f"{type(error).__name__}: {error}"
            import traceback

            with contextlib.suppress(OSError):
                (self.run_dir / ERROR_FILE).write_text(traceback.format_exc(), encoding="utf-8")
            first = str(error).splitlines()[0] if str(error) else ""
            raise RunFailed(f"{type(error).__name__}: {first}", self.run_dir) from error
        except BaseException as error:
            how = "error"
            self.result.status, self.result.reason = "error", f"{type(error).__name__}: {error}"
            raise
        finally:
            injector.close(how=how)
            self.result.errors += injector.errors
            stats.poll()
            if not started:
                self._event(run_start)
            ended = time.time()
            stats.until = ended  # requests sent after run_end are not the run's
            self._event(LoadStop(requests=stats.total), t=ended)
            self._event(RunEnd(status=self.result.status, reason=self.result.reason), t=ended)
            # the load (and its exporter) runs TAIL_S past run_end, so Prometheus scrapes
            # its final counts; then Locust ends by itself
            _write_stop(self.run_dir, time.time() + TAIL_S)
            budget = TAIL_S + float(self.scenario.load.timeout) + 15.0 + self._ui_keep_s()
            if locust.wait(budget) is None:
                self.result.errors.append("Locust did not stop on time: stopped")
            locust.stop()
            self.metrics.close()
            unregister(self.use.stack_dir, self.run_dir)  # its faults are rolled back
            self._write_load_stats()
        stats.poll()  # the last requests of the run, logged while Locust stopped
        self.result.requests, self.result.warmup = stats.total, stats.warmup
        valid = stats.good + stats.failure
        self.result.availability = stats.good / valid if valid else None
        self._report()
        self.live.update(elapsed=self.duration, duration=self.duration, stats=stats,
                         recent=stats.window(ended - 10.0, ended), active=[],
                         final=True)  # fmt: skip
        return self.result

    def _fault_changed(self, planned: PlannedFault, active: bool) -> None:
        fault = planned.fault
        self.metrics.set_fault(fault=planned.id, target=fault.target, action=fault.action,
                               active=active)  # fmt: skip
        self.result.faults.append(
            f"{planned.id}: {fault.action} on {fault.target} {'on' if active else 'off'}"
        )

    def _loop(
        self, locust: LocustRun, injector: Injector, stats: LiveStats, target: float, start: float
    ) -> None:
        steady = self.scenario.steady_state
        next_check = start + steady.check_every
        while True:
            now = time.time()
            elapsed = now - start
            injector.tick(elapsed)
            stats.poll()
            self.cpu.sample(locust.pids())
            recent = stats.window(now - 10.0, now)
            self.live.update(elapsed=elapsed, duration=self.duration, stats=stats,
                             recent=recent, active=list(injector.active))  # fmt: skip
            if now >= next_check:
                self._check(stats, start, now, injector, target)
                next_check = now + steady.check_every
                if self._abort(stats, elapsed, target):
                    return
            if elapsed >= self.duration:
                return
            if not locust.running():
                self.result.errors.append(f"Locust ended early: {locust.log_tail(3)}")
                return
            time.sleep(0.25)

    def _ui_keep_s(self) -> float:
        """With --ui on a terminal, the page stays up UI_KEEP_S after the load (someone may
        be reading it); without a terminal nobody is, so it closes at once."""
        return UI_KEEP_S if self.options.ui and sys.stdout.isatty() else 0.0

    def _load_processes(self) -> int:
        """Locust processes that send load (the open model's rate is split among them)."""
        return max(1, self.workers + self.options.expect_workers)

    def _first_request(self, locust: LocustRun, stats: LiveStats) -> float:
        """The timeline's zero: when the load's first request ended (Locust takes a few
        seconds to start, remote workers a person to start them); at most 60 s of waiting
        (200 s when workers are expected from elsewhere)."""
        deadline = time.time() + (200.0 if self.options.expect_workers else 60.0)
        while time.time() < deadline and locust.running() and stats.poll() == 0:
            time.sleep(0.1)
        if stats.total + stats.warmup == 0 and not locust.running():
            raise RuntimeError(f"Locust exited before any request: {locust.log_tail(3)}")
        return time.time()

    def _wait_scraped(self, workers: int, timeout: float = 15.0) -> None:
        """Until the stack's Prometheus scrapes this run's runner and every Locust exporter
        (so the run's window has all their scrapes); at most ``timeout`` seconds."""
        url = self.stack.prometheus_url
        if not url:
            return
        import httpx

        name = self.run_dir.name
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                data = httpx.get(f"{url}/api/v1/targets", timeout=2).json()["data"]
            except (httpx.HTTPError, ValueError, KeyError):
                return
            ours = [
                t for t in data["activeTargets"]
                if t["labels"].get("run") == name
                or str(t["labels"].get("worker", "")).startswith(f"{name}-")
            ]  # fmt: skip
            if len(ours) >= 1 + workers and all(t["health"] == "up" for t in ours):
                return
            time.sleep(0.25)

    def _check(
        self, stats: LiveStats, start: float, now: float, injector: Injector, target: float
    ) -> None:
        steady = self.scenario.steady_state
        if injector.active or injector.last_end_at > now - steady.check_every:
            window = "during"  # a window that saw a fault is not "after" it
        elif injector.done:
            window = "after"
        else:
            window = "before"
        if window not in steady.windows:
            return
        seen = stats.window(now - steady.check_every, now)
        latency_target = steady.latency_p95_s or self.stack.targets.latency_p95_s
        upper = window_upper_bound(seen.availability, seen.requests)
        holds = (upper is None or upper >= target) and (
            seen.p95_s is None or seen.p95_s <= latency_target
        )
        self._event(Check(
            window=window, t_rel=round(now - start, 3), requests=seen.requests,
            availability=seen.availability, availability_upper=upper,
            p95_s=seen.p95_s, holds=holds, active=list(injector.active),
        ))  # fmt: skip

    def _abort(self, stats: LiveStats, elapsed: float, target: float) -> bool:
        rule = self.scenario.abort
        valid = stats.good + stats.failure
        if rule is None or valid < rule.min_requests:
            return False
        used = budget_used(failures=stats.failure, valid=valid, elapsed=elapsed,
                           duration=self.duration, target=target)  # fmt: skip
        if used < rule.budget:
            return False
        reason = f"error budget {used:.0%} used (limit {rule.budget:.0%}) after {elapsed:.0f}s"
        self._event(Abort(reason=reason, budget_used=round(used, 4)))
        self.result.status, self.result.reason = "aborted", reason
        return True

    def _write_load_stats(self) -> None:
        import json

        path = self.run_dir / LOAD_DIR / LOAD_STATS_FILE
        stats = {"workers": self._load_processes(), "cpu_max_percent": self.cpu.peak}
        path.write_text(json.dumps(stats), encoding="utf-8")

    def _report(self) -> None:
        from chaoslab.run.lblog import collect_lb_log
        from chaoslab.run.upstream import collect_upstream

        start, end = self._window()
        # the fakes' own count of this run's upstream attempts and the load balancer's log
        # (report or not: a later `chaoslab report` reads them from the run directory)
        collect_upstream(self.stack, self.run_dir, start=start, end=end)
        collect_lb_log(self.stack, self.run_dir, start=start, end=end)
        if not self.options.report:
            return
        try:
            from chaoslab.run.collect import save
            from reports import render_all
        except ImportError:
            return
        save(self.stack, self.run_dir, start=start, end=end)
        # the gate setting is read from run_start, as `chaoslab report` reads it later
        result = render_all(self.run_dir)
        self.result.report_text = result.text or result.error
        self.result.errors += result.warnings
        if result.report is not None:
            self.result.verdict = result.report.status
            self.result.requests = result.report.sli.requests
        if self.result.exit_code == 0:  # an interrupted run keeps 130
            self.result.exit_code = result.exit_code

    def _window(self) -> tuple[float, float]:
        from rundir import read_events

        events = read_events(self.run_dir)
        starts = [e.t for e in events if e.kind == "run_start"]
        ends = [e.t for e in events if e.kind == "run_end"]
        now = time.time()
        return (starts[0] if starts else now - self.duration), (ends[-1] if ends else now)


def window_upper_bound(availability: float | None, requests: int) -> float | None:
    """The upper end of the 95 % Wilson interval of a check window's availability.

    A steady-state check is broken only when even this misses the target: five seconds
    hold a few dozen requests, and one failure among 40 says nothing about a 99.9 % target
    (the same rule the verdict applies to the whole run)."""
    if availability is None or requests <= 0:
        return None
    good = round(availability * requests)
    return round(wilson(good, requests)[1], 6)
