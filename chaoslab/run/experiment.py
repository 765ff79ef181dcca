"""``run_experiment``: one scenario against one stack, leaving its raw data in a run directory.

Order: validate the scenario; find the stack (or bring one up); refuse roles or controls it
lacks; revert faults a killed runner left open; write ``RUN/stack.json``, the scenario and
``run_start``; start Locust; play the timeline while a live line shows elapsed, users, RPS,
errors, p95 and the active fault, checking the steady state before/during/after and the
abort rule; then, on ANY exit, roll every fault back, stop Locust, write ``run_end``, save
Prometheus's data and the report, and take down a stack this run brought up.

The run is one sequence with one clean-up path (the guarantee that every fault is rolled
back on any exit is easiest to check in one place); its options and result (``options``),
the steady-state check and abort rule (``steady``), the stack's Prometheus (``stackprom``),
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
from pathlib import Path
from typing import Any

import msgspec

from chaoslab.run.cleanup import cleanup_runs, register, unregister
from chaoslab.run.cpu import CpuWatch
from chaoslab.run.display import LiveLine
from chaoslab.run.finish import collect_and_render
from chaoslab.run.live import LiveStats
from chaoslab.run.loadconfig import build_load_config, load_model
from chaoslab.run.locust import LocustRun, check_master_bind, write_stop
from chaoslab.run.metrics import RunnerMetrics
from chaoslab.run.options import RunFailed, RunOptions, RunResult, check_out
from chaoslab.run.plan import (
    DEFAULT_RATE,
    LoadPlan,
    SecondLook,
    check_key_limit,
    make_plan,
    second_look,
)
from chaoslab.run.provenance import git_commit, versions
from chaoslab.run.signals import signals_raise
from chaoslab.run.stackprom import scale_alerts, wait_scraped
from chaoslab.run.stackuse import StackUse, acquire
from chaoslab.run.steady import abort_of, planned_checks, steady_check
from lab import machine
from lab.proc import start_time
from lab.stack.runlock import RunnerLock
from loadtests.config import write_config
from rundir import Stack, append_events, write_stack
from rundir.events import (
    Detail,
    LoadStart,
    LoadStop,
    Look,
    Overrides,
    RunEnd,
    RunStart,
    event,
)
from rundir.layout import (
    ERROR_FILE,
    LAB_DIR,
    LOAD_CONFIG_FILE,
    LOAD_DIR,
    LOAD_STATS_FILE,
    RUNS_DIR,
    SCENARIO_FILE,
    SCRAPE_DIR,
    new_dir,
)
from scenarios.injector import Injector, PlannedFault
from scenarios.loader import ScenarioFile, load_scenario
from scenarios.targets import check_scenario, refuse_loosening

__all__ = ["RunFailed", "RunOptions", "RunResult", "look_at_end", "run_experiment"]

EXIT_INTERRUPTED = 130
TAIL_S = 2.0
"""The load runs this long past ``run_end`` so Prometheus scrapes its final counts."""
HARD_STOP_S = 120.0
"""Locust ends by itself this long past the duration if the runner never says when."""
LOOK_GRACE_S = 30.0
"""An auto run that may go on for a second look keeps its load this long past the planned end
until the first look decides (it decides within a tick, 0.25 s, unless the machine stalls)."""


UI_KEEP_S = 30.0
"""``--ui`` on a terminal: Locust's page stays up this long after the load ends."""


def look_at_end(
    plan: LoadPlan,
    run_dir: Path,
    *,
    requests: int,
    failures: int,
    elapsed_s: float,
    start: float,
) -> SecondLook:
    """An auto run's first look at its planned end (``plan.second_look``): when it goes on,
    the ``look`` event is written and the load's stop (``RUN/load/stop-at``) moves to the
    new end."""
    look = second_look(plan, requests=requests, failures=failures, elapsed_s=elapsed_s)
    if look.duration_s is not None:
        append_events(run_dir, [event(Look(requests=look.requests, failures=look.failures,
                                           went_on_at_most=look.went_on_at_most,
                                           duration_s=round(look.duration_s, 3)))])  # fmt: skip
        write_stop(run_dir, start + look.duration_s + TAIL_S)
    return look


def run_experiment(
    options: RunOptions, *, live: LiveLine | None = None, progress: Any = None
) -> RunResult:
    """Run one experiment; bad input raises ``ValueError`` subclasses with one line."""
    scenario_file = load_scenario(options.scenario)
    from lab.phases import get_phase

    phase = get_phase(options.phase)  # an unknown phase: one line before anything is made
    if options.out is not None:
        check_out(options.out)
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

    with signals_raise():
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
        check_key_limit(self.rate, self.stack)
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
            rate_is_default=options.rate is None and self.scenario.load.arrival_rate is None,
        )
        if self.plan.open_model and self.plan.rate != self.rate:
            self.rate = self.plan.rate  # auto raised the default rate
            check_key_limit(self.rate, self.stack)
        self.result.plan = self.plan
        self.duration = self.plan.duration_s
        self._looked = False
        self.workers = self.plan.workers
        self.seed = options.seed if options.seed is not None else self.stack.seed
        self.metrics = RunnerMetrics()
        self.cpu = CpuWatch()

    def _event(self, detail: Detail, *, t: float | None = None) -> None:
        append_events(self.run_dir, [event(detail, t=t)])

    def _prepare(self) -> None:
        check_out(self.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # what a killed runner left: faults, Locust, scrape targets (we hold the lock)
        for line in cleanup_runs(self.use.stack_dir, stack=self.stack):
            self.result.faults.append(line.replace("reverted fault", "reverted left-over fault"))
        write_stack(self.run_dir, self.stack)
        scale_alerts(self.stack, self.use.stack_dir, duration_s=self.duration)
        shutil.copyfile(self.file.path, self.run_dir / SCENARIO_FILE)
        register(self.use.stack_dir, self.run_dir)

    def play(self) -> RunResult:
        self._prepare()
        for line in self.plan.lines():
            self.live.note(line)
        config = build_load_config(
            self.stack, self.scenario, run_dir=self.run_dir, duration=self.plan.longest_s,
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
            plan=self.plan.detail(),
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
                           duration=self.plan.longest_s + HARD_STOP_S, workers=self.workers,
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
        at_start = machine.read()
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
            wait_scraped(self.stack, self.run_dir.name, workers=local)
            zero = time.time()
            at_start = machine.read()
            # an auto run that may go on: the load keeps going until the first look says
            # (the loop's finally stops it TAIL_S after run_end if the run ends there)
            look_grace = LOOK_GRACE_S if self.plan.longest_s > self.duration else 0.0
            write_stop(self.run_dir, zero + self.duration + TAIL_S + look_grace)
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
            waited = machine.waited(at_start, machine.read())
            self._event(RunEnd(status=self.result.status, reason=self.result.reason,
                               machine=waited), t=ended)  # fmt: skip
            # the load (and its exporter) runs TAIL_S past run_end, so Prometheus scrapes
            # its final counts; then Locust ends by itself
            write_stop(self.run_dir, time.time() + TAIL_S)
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
        self._apply_report()
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
        checks = planned_checks(self.plan.longest_s, steady.check_every)
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
                check = steady_check(self.scenario, self.stack, stats, injector,
                                     start=start, now=now, target=target,
                                     checks=checks)  # fmt: skip
                if check is not None:
                    self._event(check)
                next_check = now + steady.check_every
                abort = abort_of(self.scenario, stats, elapsed=elapsed,
                                 duration=self.duration, target=target)  # fmt: skip
                if abort is not None:
                    self._event(abort)
                    self.result.status, self.result.reason = "aborted", abort.reason
                    return
            if elapsed >= self.duration and not self._go_on(stats, elapsed, start):
                return
            if not locust.running():
                self.result.errors.append(f"Locust ended early: {locust.log_tail(3)}")
                return
            time.sleep(0.25)

    def _go_on(self, stats: LiveStats, elapsed: float, start: float) -> bool:
        """At the planned end of an auto run: its first look, and whether it goes on for a
        second (once; ``look_at_end``)."""
        if self._looked:
            return False
        self._looked = True
        look = look_at_end(self.plan, self.run_dir, requests=stats.good + stats.failure,
                           failures=stats.failure, elapsed_s=elapsed, start=start)  # fmt: skip
        if look.line:
            self.live.note(look.line)
        if look.duration_s is None:
            return False
        self.duration = look.duration_s
        return True

    def _ui_keep_s(self) -> float:
        """With --ui on a terminal, the page stays up UI_KEEP_S after the load (someone may
        be reading it); without a terminal nobody is, so it closes at once."""
        return UI_KEEP_S if self.options.ui and sys.stdout.isatty() else 0.0

    def _load_processes(self) -> int:
        """Locust processes that send load (the open model's rate is split among them)."""
        return max(1, self.workers + self.options.expect_workers)

    def _first_request(self, locust: LocustRun, stats: LiveStats) -> None:
        """Wait until the load's first request ended (Locust takes a few seconds to start,
        remote workers a person to start them): at most 60 s (200 s when workers are
        expected from elsewhere). The timeline's zero is taken after this, once Prometheus
        also scrapes the run's targets (``wait_scraped``)."""
        deadline = time.time() + (200.0 if self.options.expect_workers else 60.0)
        while time.time() < deadline and locust.running() and stats.poll() == 0:
            time.sleep(0.1)
        if stats.total + stats.warmup == 0 and not locust.running():
            raise RuntimeError(f"Locust exited before any request: {locust.log_tail(3)}")

    def _write_load_stats(self) -> None:
        import json

        path = self.run_dir / LOAD_DIR / LOAD_STATS_FILE
        stats = {"workers": self._load_processes(), "cpu_max_percent": self.cpu.peak}
        path.write_text(json.dumps(stats), encoding="utf-8")

    def _apply_report(self) -> None:
        result = collect_and_render(self.stack, self.run_dir, duration_s=self.duration,
                                    report=self.options.report)  # fmt: skip
        if result is None:
            return
        self.result.report_text = result.text or result.error
        self.result.errors += result.warnings
        if result.report is not None:
            self.result.verdict = result.report.status
            self.result.requests = result.report.sli.requests
        if self.result.exit_code == 0:  # an interrupted run keeps 130
            self.result.exit_code = result.exit_code
