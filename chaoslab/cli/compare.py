"""``chaoslab compare``: runs side by side, for a phase table or a regression check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from chaoslab.cli.campaign_options import prices_option
from chaoslab.cli.options import LEGACY_PHASE_LIST, lab_dir_option, phases_option, workers_option
from rundir.layout import COMPARE_DIR, RUNS_DIR, new_dir

if TYPE_CHECKING:
    from rich.console import Console

    from scenarios.model import Scenario

__all__ = ["compare"]


def _fail(message: str) -> NoReturn:
    click.echo(f"chaoslab compare: {message}", err=True)
    sys.exit(2)


@click.command(
    epilog="\b\nExit codes: 0 no regression (or a table), 1 RUN_B regressed against RUN_A,"
    " 2 bad input (no such run, runs of different scenarios), 4 a run is invalid."
)
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--scenario",
    metavar="NAME|FILE",
    help="Compare the latest run of this scenario on each phase.",
)
@click.option(
    "--phase",
    "phase_list",
    default="v1,v2,v3,v4",
    show_default=True,
    metavar="LIST",
    help="With --scenario: which phases, a comma list (the old spelling --phases LIST works).",
)
@phases_option(legacy_list=True)
@lab_dir_option()
@click.option(
    "--run",
    "run_now",
    is_flag=True,
    help="With --scenario: run it now on each phase (a fresh stack each, same load and seed).",
)
@click.option(
    "--duration",
    metavar="DURATION|auto",
    default="auto",
    show_default=True,
    help="With --run: run length (e.g. 40s), or auto: one duration for every phase, the "
    "longest any phase needs for a conclusive pass (steady spans lengthen, faults keep their "
    "times).",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True, max=10_000),  # scenarios.model.MAX_ARRIVAL_RATE
    help="With --run: requests/s offered to every phase (open model; default the "
    "scenario's, else 15).",
)
@click.option(
    "--users",
    type=click.IntRange(min=1, max=10_000),  # scenarios.model.MAX_USERS
    help="With --run: closed-model users on every phase instead of an arrival rate.",
)
@click.option(
    "--nominal-load",
    is_flag=True,
    help="With --run: each phase's own nominal users (closed model) instead.",
)
@workers_option()
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="With --run: the seed every phase runs with.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Write compare.{md,html,json} here (default: .chaoslab/compare/<time>).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON, not the table.")
@prices_option()
def compare(
    *,
    as_json: bool,
    run_dirs: tuple[Path, ...],
    scenario: str | None,
    phase_list: str,
    lab_dir: Path,
    run_now: bool,
    duration: str,
    rate: float | None,
    users: int | None,
    nominal_load: bool,
    workers: int | None,
    seed: int,
    out: Path | None,
    prices: Path | None,
) -> None:
    """Compare runs: one table and one plot of what each phase buys, what it costs and why
    each verdict is what it is (each target beside its measured value, the deciding number,
    fault-window availability and p95, goodput, upstream attempts, units counted from
    stack.json, monthly cost from lab/prices.toml or --prices, a link to each run's report).
    Phases that lack a role the scenario needs (a region on V1) are skipped with one line.

    Two run directories (RUN_A RUN_B, same scenario): the fix-and-repeat loop and CI's
    regression check. Each metric (availability, p95, TTFT p95, attempts per request) is
    named improved, regressed or unchanged beyond both runs' 95 % intervals; exit 1 when
    one regressed, 2 when the runs are of different scenarios, 4 when one is invalid.
    With --scenario and no directories: the latest run of that scenario on each of --phase
    from `chaoslab runs`; with --run, the scenario runs now on each phase, each on a fresh
    stack with the same load and seed (or each phase's own with --nominal-load): the same
    offered rate (open model) and, with --duration auto (the default), one duration, the
    longest any phase needs; each phase's plan is printed first.

    \b
    Example:
      chaoslab compare .chaoslab/runs/main-v3 .chaoslab/runs/fix-v3
      chaoslab compare --scenario provider-outage --phase v1,v3
      chaoslab compare --scenario provider-outage --phase v1,v3 --run --duration 60s
    """
    import msgspec

    from chaoslab.cli.campaign_options import load_prices_or_fail
    from chaoslab.runs import find_runs
    from reports.compare import (
        compare_runs,
        comparison,
        judge,
        regressions,
        render_compare_html,
        render_compare_md,
        render_compare_text,
    )
    from rundir import RunDirError

    chosen = list(run_dirs)
    phases = click.get_current_context().meta.get(LEGACY_PHASE_LIST) or phase_list
    wanted = [p.strip().lower() for p in phases.split(",") if p.strip()]
    price_list = load_prices_or_fail("chaoslab compare", prices)
    skipped: list[str] = []
    if scenario and not chosen:
        wanted, skipped = _with_roles(scenario, wanted)
        for line in skipped:
            click.echo(line)
        if not wanted:
            _fail(f"no phase of {phases} has the roles {scenario} needs (see the lines above)")
    if run_now:
        if not scenario or chosen:
            _fail("--run needs --scenario and no run directories")
        chosen = _run_each(scenario, wanted, lab_dir=lab_dir, duration=duration, rate=rate,
                           users=users, nominal_load=nominal_load, workers=workers,
                           seed=seed)  # fmt: skip
    if scenario and not chosen:
        latest: dict[str, Path] = {}
        for entry in find_runs(lab_dir):  # newest first
            if entry.scenario == scenario and entry.phase in wanted:
                latest.setdefault(entry.phase, entry.path)
        missing = [p for p in wanted if p not in latest]
        if not latest:
            _fail(
                f"no run of scenario {scenario!r} under {lab_dir / RUNS_DIR}; make one with "
                f"`chaoslab run --phase {wanted[0] if wanted else 'v1'} --scenario {scenario}`"
            )
        for phase in missing:
            click.echo(
                f"note: no {phase} run of {scenario}; add one with "
                f"`chaoslab run --phase {phase} --scenario {scenario}`",
                err=True,
            )
        chosen = [latest[p] for p in wanted if p in latest]
    if not chosen:
        _fail("give two or more run directories, or --scenario NAME (see --help)")
    try:
        rows = compare_runs(chosen, prices=price_list)
    except RunDirError as error:
        _fail(str(error))
    pair = len(rows) == 2 and not scenario
    if pair and rows[0].scenario != rows[1].scenario:
        _fail(
            f"RUN_A is scenario {rows[0].scenario or '?'!r} and RUN_B {rows[1].scenario or '?'!r}: "
            "compare two runs of the same scenario (or use --scenario NAME for a phase table)"
        )
    if scenario:
        rows = [r for r in rows if r.scenario in {scenario, ""}] or rows
    title = f"{scenario or rows[0].scenario or 'runs'}: " + " vs ".join(
        r.phase.upper() for r in rows
    )
    target = out or new_dir(lab_dir / COMPARE_DIR, "")
    target.mkdir(parents=True, exist_ok=True)
    invalid = [r for r in rows if r.status == "invalid"]
    changes = judge(rows[0], rows[1]) if pair and not invalid else []
    table = comparison(rows, title=title, skipped=skipped, prices=price_list, changes=changes)
    (target / "compare.md").write_text(render_compare_md(table), encoding="utf-8")
    (target / "compare.html").write_text(render_compare_html(table), encoding="utf-8")
    (target / "compare.json").write_bytes(msgspec.json.format(msgspec.json.encode(table), indent=2))
    found = regressions(rows[0], rows[1]) if pair and not invalid else []
    code = 4 if invalid else (1 if found else 0)
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(
            {"title": title, "rows": rows, "skipped": skipped, "changes": changes,
             "regressions": found,
             "invalid": [str(r.run_dir) for r in invalid]}), indent=2))  # fmt: skip
        sys.exit(code)
    click.echo(title)
    click.echo(render_compare_text(table))
    if pair:
        for row in invalid:
            click.echo(f"invalid run, no comparison: {row.run_dir}")
        for change in changes:
            click.echo(f"{change.metric}: {change.verdict} ({change.before} -> {change.after})")
        for line in found:
            click.echo(f"regression: {line}")
        if not found and not invalid:
            click.echo("no regression beyond the runs' 95 % intervals")
    click.echo(f"compare: {target / 'compare.html'} (also .md .json)   exit {code}")
    sys.exit(code)


def _with_roles(scenario: str, phases: list[str]) -> tuple[list[str], list[str]]:
    """The phases whose stack has every role the scenario needs, and one "skipped" line for
    each other one (a region-failover on V1..V3)."""
    from lab.phases import PhaseError, get_phase
    from lab.stack.sketch import sketch
    from scenarios.loader import load_scenario
    from scenarios.targets import TargetError, check_scenario

    try:
        loaded = load_scenario(scenario).scenario
    except ValueError:  # said later, with the command that makes a run of it
        return phases, []
    able: list[str] = []
    skipped: list[str] = []
    for phase in phases:
        try:
            check_scenario(loaded, sketch(get_phase(phase)))
        except PhaseError as error:
            _fail(str(error).splitlines()[0])
        except TargetError as error:
            reason = str(error).partition(": ")[2] or str(error)
            skipped.append(f"skipped {phase.upper()}: {reason}")
            continue
        able.append(phase)
    return able, skipped


def _run_each(
    scenario: str,
    phases: list[str],
    *,
    lab_dir: Path,
    duration: str,
    rate: float | None,
    users: int | None,
    nominal_load: bool,
    workers: int | None,
    seed: int,
) -> list[Path]:
    """Run ``scenario`` on each phase on a fresh stack; the run directories in order."""
    from rich.console import Console

    from chaoslab.run.display import LiveLine
    from chaoslab.run.experiment import RunOptions, run_experiment
    from chaoslab.run.plan import DEFAULT_RATE
    from lab.phases import PhaseError, get_phase
    from scenarios.loader import load_scenario
    from scenarios.model import parse_seconds

    auto = duration.strip().lower() == "auto"
    try:
        seconds = None if auto else float(parse_seconds(duration))
        scenario_model = load_scenario(scenario).scenario
        targets = {p: get_phase(p).sla().availability for p in phases}
    except (ValueError, PhaseError) as error:
        _fail(str(error).splitlines()[0])
    load = scenario_model.load
    closed = (
        users is not None
        or nominal_load
        or (
            rate is None
            and load.arrival_rate is None
            and (load.users is not None or load.shape != "steady")
        )
    )
    same_users = None if nominal_load else (users or load.users or 10) if closed else None
    same_rate = None if closed else rate or load.arrival_rate or DEFAULT_RATE
    console = Console(highlight=False, emoji=False, soft_wrap=True)
    if auto:
        seconds = _shared_duration(scenario_model, targets, same_rate, same_users, workers,
                                   console)  # fmt: skip
    done: list[Path] = []
    for phase in phases:
        out = new_dir(lab_dir / RUNS_DIR, f"{phase}-{Path(scenario).stem}", mkdir=False)
        console.print(f"{scenario} on {phase.upper()}: running ({out})", markup=False)
        options = RunOptions(phase=phase, scenario=scenario, duration=seconds, users=same_users,
                             rate=same_rate, keep_fault_times=auto, workers=workers,
                             seed=seed, out=out, fresh=True,
                             command=("chaoslab", "compare", "--run", scenario))  # fmt: skip
        try:
            with LiveLine(console, users=same_users) as live:
                result = run_experiment(options, live=live)
        except (ValueError, RuntimeError, FileExistsError) as error:
            _fail(f"{phase}: {str(error).splitlines()[0] if str(error) else type(error).__name__}")
        except KeyboardInterrupt:
            _fail(f"interrupted while running {phase}")
        done.append(result.run_dir)
    return done


def _shared_duration(
    scenario: Scenario,
    targets: dict[str, float],
    rate: float | None,
    users: int | None,
    workers: int | None,
    console: Console,
) -> float:
    """One duration for every phase: the longest any phase's auto plan needs."""
    from chaoslab.run.plan import make_plan

    plans = [
        make_plan(
            phase=phase,
            target=scenario.steady_state.availability or target,
            scenario_duration=float(scenario.load.duration),
            duration=None,
            auto=True,
            rate=rate,
            users=users or 10,
            think_time=float(scenario.load.think_time),
            workers=workers,
            brings_up=True,
        )
        for phase, target in targets.items()
    ]
    longest = max(plan.duration_s for plan in plans)
    for plan in plans:
        for line in plan.lines(looks=False):  # one length for all: no second look
            console.print(line, markup=False)
    total = sum(plan.wall_s - plan.duration_s + longest for plan in plans)
    console.print(
        f"compare: every phase runs {longest:.0f} s (the longest plan) · wall time about "
        f"{total / 60:.0f} min for {len(plans)} phases",
        markup=False,
    )
    return longest
