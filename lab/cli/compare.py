"""``chaoslab compare``: runs side by side, for a phase table or a regression check."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn

import click

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
@click.option(
    "--lab-dir",
    type=click.Path(path_type=Path),
    default=Path(".chaoslab"),
    show_default=True,
    help="Where run directories live.",
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
    out: Path | None,
) -> None:
    """Compare runs: one table and one plot of what each phase buys and costs.

    Two run directories (RUN_A RUN_B, same scenario): the fix-and-repeat loop and CI's
    regression check; exit 1 when RUN_B is worse than RUN_A beyond both runs' 95 %
    intervals. With --scenario and no directories: the latest run of that scenario on each
    of --phases from `chaoslab runs` (make the missing ones with `chaoslab run`).

    \b
    Example:
      chaoslab compare .chaoslab/runs/main-v3 .chaoslab/runs/fix-v3
      chaoslab compare --scenario provider-outage --phases v1,v3
    """
    import msgspec

    from lab.rundir import RunDirError
    from reports.compare import (
        compare_runs,
        regressions,
        render_compare_html,
        render_compare_md,
        render_compare_text,
    )
    from reports.runs import find_runs

    chosen = list(run_dirs)
    wanted = [p.strip().lower() for p in phases.split(",") if p.strip()]
    if scenario and not chosen:
        latest: dict[str, Path] = {}
        for entry in find_runs(lab_dir):  # newest first
            if entry.scenario == scenario and entry.phase in wanted:
                latest.setdefault(entry.phase, entry.path)
        missing = [p for p in wanted if p not in latest]
        if not latest:
            _fail(
                f"no run of scenario {scenario!r} under {lab_dir / 'runs'}; make one with "
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
    target = out or lab_dir / "compare" / time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime())
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
