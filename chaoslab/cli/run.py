"""``chaoslab run``: one chaos experiment (load + fault timeline) against one phase."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from chaoslab.cli.distributed import master_options
from chaoslab.cli.options import phases_option, stack_option, workers_option
from rundir.layout import ERROR_FILE

__all__ = ["run"]


def _seconds(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | str | None:
    if value is None:
        return None
    if value.strip().lower() == "auto":
        return "auto"
    from scenarios.model import parse_seconds

    try:
        seconds = (
            float(parse_seconds(value)) if not value.replace(".", "").isdigit() else float(value)
        )
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a duration (write 30, '30s', '2m', '1m30s' or auto)"
        ) from None
    from scenarios.model import MAX_DURATION_S

    if not 0 < seconds <= MAX_DURATION_S:
        raise click.BadParameter(f"must be more than 0 seconds and at most {MAX_DURATION_S:g}")
    return seconds


@click.command()
@phases_option()
@click.option(
    "--phase",
    default=None,
    metavar="PHASE",
    show_default="the stack's, else v1",
    help="Phase id from lab/phases.toml: v1 .. v4 (default: the stack's phase, else v1).",
)
@click.option(
    "--scenario",
    required=True,
    metavar="NAME|FILE",
    help="A name from `chaoslab scenarios`, or a .toml file.",
)
@click.option(
    "--duration",
    callback=_seconds,
    metavar="DURATION|auto",
    show_default="the scenario's",
    default=None,
    help="Run length (e.g. 60s, 2m; the timeline scales with it), or auto: long enough for a "
    "conclusive pass of the phase's availability target (steady spans lengthen, faults keep "
    "their times; without --rate, a rate high enough to fit it in 20 min); if the first look "
    "at the end is inconclusive with a pass in reach, the run goes on to 4x for a second look.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True, max=10_000),  # scenarios.model.MAX_ARRIVAL_RATE
    default=None,
    help="Open model: requests started per second whatever the service does (default: the "
    "scenario's, else 15).",
)
@click.option(
    "--users",
    type=click.IntRange(min=1, max=10_000),  # scenarios.model.MAX_USERS
    default=None,
    help="Closed model instead: this many users, each waiting for its answer.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Fixes the fakes' draws (on a stack it brings up), load choices, timeline jitter "
    "(default: the stack's seed, from `chaoslab up --seed`; 0 for a stack it brings up).",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "compose", "external"]),
    default="local",
    show_default=True,
    help="How to bring the stack up when none runs.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Run directory to write (default .chaoslab/runs/<time>-<phase>-<scenario>).",
)
@stack_option(help="The stack directory to use (default: .chaoslab/current).")
@click.option("--fresh", is_flag=True, help="Bring up a new stack for this run (taken down after).")
@click.option("--ui", is_flag=True, help="Serve Locust's web UI on loopback during the run.")
@workers_option()
@master_options
@click.option(
    "--gate",
    is_flag=True,
    help="CI mode: inconclusive exits 3 (else 0 with a warning); a loosening scenario exits 2.",
)
@click.option(
    "--allow-overrides",
    is_flag=True,
    help="Under --gate, accept a scenario that loosens the phase's targets.",
)
@click.option(
    "--no-report", is_flag=True, help="Leave the raw data only (no Prometheus save, no report)."
)
def run(
    *,
    phase: str | None,
    scenario: str,
    duration: float | str | None,
    rate: float | None,
    users: int | None,
    seed: int | None,
    backend: str,
    out: Path | None,
    stack_dir: Path | None,
    fresh: bool,
    ui: bool,
    workers: int | None,
    master: dict[str, Any],
    gate: bool,
    allow_overrides: bool,
    no_report: bool,
) -> None:
    """Run a scenario: bring the stack up if none runs, drive load with Locust, play the
    fault timeline with a live line, roll every fault back, leave the raw data (events,
    per-request log, Locust stats, stack.json, Prometheus data) in the run directory.

    Ctrl-C stops the run and rolls every fault back (exit 130). A bad scenario, a phase
    without the roles the scenario needs, or a control it lacks: one line, exit 2.

    The load is an open model by default (requests start at --rate whatever the service
    does); --users asks for closed-model users. The plan (rate, duration, requests a
    conclusive verdict needs, wall time) is printed before the load starts.

    \b
    Example:
      chaoslab run --phase v3 --scenario provider-outage
      chaoslab run --phase v3 --scenario baseline --duration auto --gate
      chaoslab run --phase v1 --scenario provider-outage --duration 30s --seed 7
      chaoslab run --phase v2 --scenario traffic-spike --workers 2 --ui
      chaoslab run --phase v1 --scenario baseline --expect-workers 2 \\
        --master-bind-host 0.0.0.0 --master-port 5557 --allow-remote

    \b
    Exit codes (the same as `chaoslab report` on the run directory):
      0  every target met (inconclusive too without --gate, with a warning line)
      1  a target breached (with or without --gate)
      2  bad usage or input, nothing started (under --gate: a loosening scenario)
      3  inconclusive under --gate
      4  the run was invalid (no verdict)
    """
    from rich.console import Console

    from chaoslab.run.display import LiveLine
    from chaoslab.run.experiment import RunFailed, RunOptions, run_experiment

    console = Console(highlight=False, emoji=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)
    phase = phase or _stack_phase(stack_dir, fresh=fresh)
    options = RunOptions(
        phase=phase,
        scenario=scenario,
        duration=None if duration == "auto" else float(duration) if duration else None,
        auto_duration=duration == "auto",
        rate=rate,
        users=users,
        seed=seed,
        backend=backend,
        out=out,
        fresh=fresh,
        ui=ui,
        workers=workers,
        **master,
        gate=gate,
        allow_overrides=allow_overrides,
        stack_dir=stack_dir,
        report=not no_report,
        command=("chaoslab", *sys.argv[1:]),
    )
    try:
        with LiveLine(console, users=users) as live:
            result = run_experiment(options, live=live, progress=None)
    except RunFailed as error:
        err.print(
            f"chaoslab run: internal error, run invalid: {error} (faults rolled back; "
            f"traceback in {error.run_dir / ERROR_FILE})",
            markup=False,
        )
        sys.exit(4)
    except (ValueError, RuntimeError, FileExistsError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        err.print(f"chaoslab run: {message}", markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("chaoslab run: interrupted before the run started", markup=False)
        sys.exit(130)
    verdict = result.verdict.upper() if result.verdict else result.status
    console.print(
        f"{scenario} on {phase.upper()} · {result.requests:,} requests · "
        f"availability {_percent(result.availability)} · {verdict} · exit {result.exit_code}"
        + (f" ({result.reason})" if result.reason else ""),
        markup=False,
    )
    if result.warmup:
        console.print(
            f"  warm-up: {result.warmup:,} requests before the run's start (not counted)",
            markup=False,
        )
    for line in result.faults:
        console.print(f"  {line}", markup=False)
    for line in result.errors:
        err.print(f"  warning: {line}", markup=False)
    if result.report_text:
        console.print(result.report_text, markup=False)
    console.print(f"run directory: {result.run_dir}", markup=False)
    sys.exit(result.exit_code)


def _stack_phase(stack_dir: Path | None, *, fresh: bool) -> str:
    """The phase of the stack the run would use (like ``up``'s default: v1 without one)."""
    if fresh:
        return "v1"
    from lab.stack import StackError
    from lab.stack.stackdirs import current_stack_dir
    from rundir import RunDirError, read_stack

    try:
        return read_stack(current_stack_dir(stack_dir)).phase
    except (StackError, RunDirError, OSError):
        return "v1"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"
