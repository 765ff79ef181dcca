"""How long the lab takes to be ready: ``chaoslab up --phase v3`` until every part answers.

Measured in one run, ``ROUNDS`` times each, medians printed:

- ``one replica`` (the baseline): a single service replica (``python -m service`` on an
  in-memory store, no Redis, one fake provider already running) from spawn to
  ``/v1/ready``: the floor a parallel start cannot go below, since a stack waits for its
  slowest replica;
- ``up v3``: ``lab.stack.up("v3")`` (the supervisor process, Redis, PostgreSQL from the
  initdb template, three fakes, the fault proxy with 15 routes, three replicas, HAProxy,
  Prometheus) until ``up`` returns, then ``down`` (timed too).

- ``run baseline 60 s``: ``chaoslab run``'s wall time over the scenario's duration on a stack
  already up (target at most 1.2); the report's own time beside it;
- ``locust 1 process vs fake``: the most requests per second one Locust process drives
  against a fake provider directly (OpenAI-compatible users, no think time);
- with ``--auto v3,v4`` (minutes each: V3 about 5, V4 about 20): ``chaoslab run --scenario
  baseline --duration auto --gate`` on each phase's stack (already up), its wall time against
  the plan's estimate, its exit code (0: a perfect phase is met) and its request count: the
  calibration of a perfect V3 and V4 (docs/load.md), as a benchmark rather than a timed test.

The ratio ``up v3 / one replica`` says how much the stack costs beyond the one process it
cannot avoid. Target: up v3 under 10 s on a 2-core machine.

``MEASUREMENTS`` is a list of functions, each returning rows: add a figure by appending
one. Usage: ``python -m benchmarks lab [-- --rounds 3 --phase v3 --auto v3,v4]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rundir import Stack

__all__ = ["MEASUREMENTS", "Row", "main"]

TARGET_S = 10.0


@dataclass(frozen=True)
class Row:
    name: str
    seconds: float
    note: str = ""


@dataclass(frozen=True)
class Options:
    rounds: int
    phase: str
    auto: tuple[str, ...] = ()


def one_replica(options: Options) -> list[Row]:
    """Spawn to ready of one replica with nothing but a fake provider behind it."""
    import json

    from lab.servers import FakeLLMServer, ServiceReplica
    from lab.stack.config import MODEL, VENDOR_MODELS

    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-lab-") as tmp, FakeLLMServer("openai") as fake:
        model_map = {MODEL: VENDOR_MODELS["openai"]}
        chain = [{"name": "openai", "kind": "openai", "api_key": "sk-bench",
                  "base_url": fake.base_url, "model_map": model_map}]  # fmt: skip
        env = {"CHAT_API_KEYS": "sk-bench:bench", "CHAT_PROVIDERS": json.dumps(chain)}
        for n in range(options.rounds):
            replica = ServiceReplica(env=env, name=f"replica-{n}", workdir=Path(tmp) / str(n))
            started = time.monotonic()
            replica.start()
            times.append(time.monotonic() - started)
            replica.stop()
    return [Row("one replica (baseline)", statistics.median(times))]


def up_phase(options: Options) -> list[Row]:
    """``up`` of the phase until it returns (every part ready), then ``down``."""
    from lab.stack import down, up

    ups: list[float] = []
    downs: list[float] = []
    parts = 0
    for _ in range(options.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-lab-up-") as tmp:
            started = time.monotonic()
            stack = up(options.phase, stack_dir=Path(tmp), timeout=180)
            ups.append(time.monotonic() - started)
            parts = len(stack.components)
            started = time.monotonic()
            down(Path(tmp))
            downs.append(time.monotonic() - started)
    return [
        Row(f"up {options.phase}", statistics.median(ups), f"{parts} components"),
        Row(f"down {options.phase}", statistics.median(downs)),
    ]


def run_overhead(options: Options) -> list[Row]:
    """Lab overhead of ``chaoslab run``: wall time / scenario duration, on a stack already
    up (v1, the baseline scenario at its own 60 s). Target: at most 1.2. The report
    (Prometheus save and rendering, ``chaoslab report``'s work) is timed apart."""
    from chaoslab.run.experiment import RunOptions, run_experiment
    from lab.stack import down, up

    duration = 60.0
    with tempfile.TemporaryDirectory(prefix="bench-lab-run-") as tmp:
        stack_dir = Path(tmp) / "stack"
        up("v1", stack_dir=stack_dir, timeout=180)
        try:
            started = time.monotonic()
            result = run_experiment(
                RunOptions(phase="v1", scenario="baseline", duration=duration,
                           out=Path(tmp) / "run", stack_dir=stack_dir, report=False)
            )  # fmt: skip
            wall = time.monotonic() - started
            from chaoslab.run.collect import save
            from reports import render_all

            started = time.monotonic()
            save(result_stack(stack_dir), Path(tmp) / "run", start=time.time() - wall,
                 end=time.time())  # fmt: skip
            render_all(Path(tmp) / "run")
            report_s = time.monotonic() - started
        finally:
            down(stack_dir)
    ratio = wall / duration
    verdict = "PASS" if ratio <= 1.2 else "FAIL"
    return [
        Row(
            "run baseline 60 s (wall)",
            wall,
            f"overhead {ratio:.2f}x duration ({verdict} vs 1.2), {result.requests} requests",
        ),
        Row("report of that run", report_s, "Prometheus save + HTML/MD/JSON/JUnit"),
    ]


def result_stack(stack_dir: Path) -> Stack:
    from rundir import read_stack

    return read_stack(stack_dir)


def locust_max_rps(options: Options) -> list[Row]:
    """The most requests per second one Locust process drives against a fake directly
    (OpenAI-compatible users, no think time, half streamed, 10 s)."""
    import msgspec

    from chaoslab.run.locust import LocustRun
    from lab.servers import FakeLLMServer
    from loadtests.config import LoadConfig, write_config
    from rundir import read_requests

    duration = 10.0
    with (
        tempfile.TemporaryDirectory(prefix="bench-lab-locust-") as tmp,
        FakeLLMServer("openai") as fake,
    ):
        run_dir = Path(tmp)
        config = msgspec.convert({
            "front_door": fake.admin_url, "api_keys": ["sk-bench"], "run_dir": tmp,
            "duration": duration, "users": 20, "spawn_rate": 100, "mix": {"openai": 1},
            "think_time": 0.0, "timeout": 10.0, "model": "gpt-4o-mini", "exporter": False,
        }, LoadConfig)  # fmt: skip
        path = write_config(run_dir / "load" / "config.json", config)
        locust = LocustRun(run_dir=run_dir, config_path=path, duration=duration).start()
        try:
            locust.wait(duration + 60)
        finally:
            locust.stop()
        records = read_requests(run_dir)
    good = [r for r in records if r.outcome == "good"]
    span = (max(r.t for r in records) - min(r.t for r in records)) if records else duration
    rps = len(records) / max(span, 1e-9)
    return [
        Row(
            "locust 1 process vs fake",
            span,
            f"{rps:.0f} requests/s ({len(good)} of {len(records)} good)",
        )
    ]


def auto_gate(options: Options) -> list[Row]:
    """``run --scenario baseline --duration auto --gate`` per phase of ``--auto``: wall time
    (the stack already up) against the plan's estimate, the exit code and the requests."""
    from chaoslab.run.experiment import RunOptions, run_experiment
    from lab.stack import down, up

    rows: list[Row] = []
    for phase in options.auto:
        with tempfile.TemporaryDirectory(prefix=f"bench-lab-auto-{phase}-") as tmp:
            stack_dir = Path(tmp) / "stack"
            up(phase, stack_dir=stack_dir, timeout=180)
            try:
                started = time.monotonic()
                result = run_experiment(
                    RunOptions(phase=phase, scenario="baseline", auto_duration=True,
                               keep_fault_times=True, gate=True, workers=None,
                               out=Path(tmp) / "run", stack_dir=stack_dir)
                )  # fmt: skip
                wall = time.monotonic() - started
            finally:
                down(stack_dir)
        plan = result.plan
        planned = f"{plan.wall_s:.0f} s planned at {plan.rate:g}/s" if plan else "no plan"
        rows.append(
            Row(
                f"{phase} baseline auto --gate",
                wall,
                f"exit {result.exit_code} ({result.verdict}), {result.requests:,} requests, "
                f"{planned}",
            )
        )
    return rows


MEASUREMENTS: list[Callable[[Options], list[Row]]] = [
    one_replica,
    up_phase,
    run_overhead,
    locust_max_rps,
    auto_gate,
]
"""Each returns rows; the first row of the first function is the baseline."""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench lab", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="repetitions (medians shown)")
    parser.add_argument("--phase", default="v3")
    parser.add_argument(
        "--auto",
        default="",
        metavar="PHASES",
        help="also run a baseline with --duration auto --gate on these phases (v3,v4)",
    )
    args = parser.parse_args(argv)
    auto = tuple(p.strip() for p in args.auto.split(",") if p.strip())
    options = Options(rounds=max(1, args.rounds), phase=args.phase, auto=auto)
    rows = [row for measure in MEASUREMENTS for row in measure(options)]
    baseline = rows[0].seconds
    print(f"medians of {options.rounds} rounds; baseline: {rows[0].name}")
    print("{:<26} {:>9} {:>10}  {}".format("run", "seconds", "/baseline", "note"))
    for row in rows:
        print(f"{row.name:<26} {row.seconds:>9.2f} {row.seconds / baseline:>10.2f}  {row.note}")
    up_row = next(r for r in rows if r.name.startswith("up "))
    verdict = "PASS" if up_row.seconds < TARGET_S else "FAIL"
    print(f"{verdict}: {up_row.name} ready in {up_row.seconds:.1f} s vs target {TARGET_S:g} s")
    return 0
