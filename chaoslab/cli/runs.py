"""``chaoslab runs``: list run directories (phase, scenario, verdict, date), including the ones
written with ``--out``; prune old ones (only inside ``.chaoslab/runs``)."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chaoslab.cli.options import lab_dir_option
from rundir.layout import RUNS_DIR

if TYPE_CHECKING:
    from chaoslab.runs import RunEntry

__all__ = ["runs"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _age(value: str | None) -> float | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", value)
    if not match:
        click.echo(
            f"chaoslab runs: --older-than {value!r}: give an age like 30m, 12h or 7d", err=True
        )
        sys.exit(2)
    return float(match.group(1)) * _UNITS[match.group(2)]


@click.command()
@lab_dir_option()
@click.option(
    "--prune",
    is_flag=True,
    help="Delete old run directories inside <lab-dir>/runs (never elsewhere, never a running one).",
)
@click.option(
    "--keep",
    default=20,
    show_default=True,
    type=click.IntRange(min=0),
    help="With --prune: keep this many newest runs.",
)
@click.option(
    "--older-than",
    metavar="DURATION",
    help="With --prune: delete only runs older than this (30m, 12h, 7d).",
)
@click.option("--dry-run", is_flag=True, help="With --prune: say what would go, delete nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def runs(
    *,
    lab_dir: Path,
    prune: bool,
    keep: int,
    older_than: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """List run directories, newest first, with their verdicts: those under
    <lab-dir>/runs and those written elsewhere with `chaoslab run --out` (recorded in
    <lab-dir>/runs.jsonl). Stacks are not runs: `chaoslab status` shows the stack.

    The verdict is the status of the run's report.json (render it with `chaoslab report`).

    \b
    Example:
      chaoslab runs
      chaoslab runs --prune --keep 5 --dry-run
      chaoslab runs --prune --older-than 7d
    """
    from chaoslab.runs import find_runs, prune_runs

    max_age = _age(older_than)
    entries = find_runs(lab_dir)
    if prune:
        gone = prune_runs(
            entries, lab_dir=lab_dir, keep=keep, older_than_s=max_age, dry_run=dry_run
        )
        verb = "would delete" if dry_run else "deleted"
        for entry in gone:
            click.echo(f"{verb} {entry.path}")
        click.echo(f"{verb} {len(gone)} of {len(entries)} run directories")
        return
    if as_json:
        import json

        click.echo(json.dumps([_json(e) for e in entries], indent=2))
        return
    if not entries:
        click.echo(f"no run directories under {lab_dir / RUNS_DIR}; make one with `chaoslab run`")
        return
    rows = [("date (UTC)", "phase", "scenario", "verdict", "run directory")]
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(e.created))
        mark = " (running)" if e.running else (" (--out)" if e.registered else "")
        rows.append((when, e.phase, e.scenario, e.verdict, f"{e.path}{mark}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        click.echo("  ".join([*(r[i].ljust(widths[i]) for i in range(4)), r[4]]))


def _json(entry: RunEntry) -> dict[str, object]:
    return {
        "path": str(entry.path),
        "phase": entry.phase,
        "scenario": entry.scenario,
        "verdict": entry.verdict,
        "started": entry.created,
        "running": entry.running,
        "outside_runs_dir": entry.registered,
    }
