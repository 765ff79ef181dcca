"""``chaoslab compare``: runs side by side, for a phase table or a regression check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from chaoslab.cli.options import lab_dir_option
from rundir.layout import COMPARE_DIR, RUNS_DIR, new_dir

__all__ = ["compare"]


def _fail(message: str) -> NoReturn:
    click.echo(f"chaoslab compare: {message}", err=True)
    sys.exit(2)


@click.command(
    epilog="\b\nExit codes: 0 no regression (or a table), 1 RUN_B regressed against RUN_A,"
    " 2 bad input."
)
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--scenario", help="Compare the latest run of this scenario on each phase.")
@click.option(
    "--phases", default="v1,v2,v3,v4", show_default=True, help="With --scenario: which phases."
)
@lab_dir_option()
@click.option(
    "--run",
    "run_now",
    is_flag=True,
    help="With --scenario: run it now on each phase (a fresh stack each, same load and seed).",
)
@click.option("--duration", help="With --run: run length (e.g. 40s); default the scenario's.")
@click.option(
    "--users",
    type=click.IntRange(min=1),
    help="With --run: users on every phase (default the scenario's, else 10).",
)
@click.option(
    "--nominal-load", is_flag=True, help="With --run: each phase's own nominal load instead."
)
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
    help="Write compare.{md,html,json} here (default: .chaoslab/compare/<time>).",
)
def compare(
    *,
    run_dirs: tuple[Path, ...],
    scenario: str | None,
    phases: str,
    lab_dir: Path,
    run_now: bool,
    duration: str | None,
    users: int | None,
    nominal_load: bool,
    seed: int,
    out: Path | None,
) -> None:
    """Compare runs: one table and one plot of what each phase buys and costs.

    Two run directories (RUN_A RUN_B, same scenario): the fix-and-repeat loop and CI's
    regression check; exit 1 when RUN_B is worse than RUN_A beyond both runs' 95 %
    intervals. With --scenario and no directories: the latest run of that scenario on each
    of --phases from `chaoslab runs`; with --run, the scenario runs now on each phase, each
    on a fresh stack with the same load and seed (or each phase's own with --nominal-load).

    \b
    Example:
      chaoslab compare .chaoslab/runs/main-v3 .chaoslab/runs/fix-v3
      chaoslab compare --scenario provider-outage --phases v1,v3
      chaoslab compare --scenario provider-outage --phases v1,v3 --run --duration 60s
    """
    import msgspec

    from chaoslab.runs import find_runs
    from reports.compare import (
        compare_runs,
        regressions,
        render_compare_html,
        render_compare_md,
        render_compare_text,
    )
    from rundir import RunDirError

    chosen = list(run_dirs)
    wanted = [p.strip().lower() for p in phases.split(",") if p.strip()]
    if run_now:
        if not scenario or chosen:
            _fail("--run needs --scenario and no run directories")
        chosen = _run_each(scenario, wanted, lab_dir=lab_dir, duration=duration, users=users,
                           nominal_load=nominal_load, seed=seed)  # fmt: skip
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
        rows = compare_runs(chosen)
    except RunDirError as error:
        _fail(str(error))
    if scenario:
        rows = [r for r in rows if r.scenario in {scenario, ""}] or rows
    title = f"{scenario or rows[0].scenario or 'runs'}: " + " vs ".join(
        r.phase.upper() for r in rows
    )
    target = out or new_dir(lab_dir / COMPARE_DIR, "")
    target.mkdir(parents=True, exist_ok=True)
    (target / "compare.md").write_text(render_compare_md(rows, title=title), encoding="utf-8")
    (target / "compare.html").write_text(render_compare_html(rows, title=title), encoding="utf-8")
    (target / "compare.json").write_bytes(msgspec.json.format(msgspec.json.encode(rows), indent=2))
    click.echo(title)
    click.echo(render_compare_text(rows))
    code = 0
    if len(rows) == 2 and not scenario:
        found = regressions(rows[0], rows[1])
        if rows[0].scenario != rows[1].scenario:
            click.echo(
                "note: the runs are of different scenarios "
                f"({rows[0].scenario} vs {rows[1].scenario})",
                err=True,
            )
        for line in found:
            click.echo(f"regression: {line}")
        if not found:
            click.echo("no regression beyond the runs' 95 % intervals")
        code = 1 if found else 0
    click.echo(f"compare: {target / 'compare.html'} (also .md .json)")
    sys.exit(code)


def _run_each(
    scenario: str,
    phases: list[str],
    *,
    lab_dir: Path,
    duration: str | None,
    users: int | None,
    nominal_load: bool,
    seed: int,
) -> list[Path]:
    """Run ``scenario`` on each phase on a fresh stack; the run directories in order."""
    from rich.console import Console

    from chaoslab.run.display import LiveLine
    from chaoslab.run.experiment import RunOptions, run_experiment
    from scenarios.loader import load_scenario
    from scenarios.model import parse_seconds

    try:
        seconds = float(parse_seconds(duration)) if duration else None
        load = load_scenario(scenario).scenario.load
    except ValueError as error:
        _fail(str(error).splitlines()[0])
    same_users = None if nominal_load else (users or load.users or 10)
    console = Console(highlight=False, emoji=False, soft_wrap=True)
    done: list[Path] = []
    for phase in phases:
        out = new_dir(lab_dir / RUNS_DIR, f"{phase}-{Path(scenario).stem}", mkdir=False)
        console.print(f"{scenario} on {phase.upper()}: running ({out})", markup=False)
        options = RunOptions(phase=phase, scenario=scenario, duration=seconds, users=same_users,
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
