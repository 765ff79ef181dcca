"""``chaoslab report``: render a finished run's SLA report and exit with its verdict."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

__all__ = ["report"]

_EXIT_CODES = """\b
Exit codes:
  0  every target met (inconclusive counts as met without --gate, with a warning)
  1  a target breached (with or without --gate)
  2  bad usage or input (no such run directory, a malformed file, a refused override)
  3  inconclusive under --gate (the run was too short to tell)
  4  the run was invalid (did not finish, load generator saturated, scrapes missed, the
     machine or Prometheus stalled, a part down that no fault took down): no verdict
  Without --gate/--no-gate, the run's own setting (its run_start) decides: the same code
  `chaoslab run` returned."""


def _quantiles(value: str) -> tuple[float, ...]:
    try:
        numbers = tuple(float(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r}: give percentiles like 50,95,99") from None
    if not numbers or not all(0 < n < 100 for n in numbers):
        raise click.BadParameter(f"{value!r}: each percentile must be between 0 and 100")
    return tuple(n / 100 for n in numbers)


@click.command(epilog=_EXIT_CODES)
@click.argument("run_dir", required=False, type=click.Path(path_type=Path))
@click.option(
    "--gate/--no-gate",
    default=None,
    help="CI mode: inconclusive exits 3, loosening overrides exit 2 "
    "(default: what the run was started with).",
)
@click.option(
    "--allow-overrides/--no-allow-overrides",
    default=None,
    help="Under --gate, accept a scenario that loosens the phase's targets "
    "(default: what the run was started with).",
)
@click.option(
    "--quantiles",
    default="50,95,99",
    show_default=True,
    metavar="LIST",
    help="Latency percentiles to report.",
)
@click.option(
    "--format",
    "formats",
    metavar="LIST",
    default="html,md,json,xml",
    show_default=True,
    help="Files to write (comma list).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Write the files here instead of RUN_DIR.",
)
@click.option(
    "--recovery-window",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    hidden=True,
    help="Kept for old scripts; recovery is measured at the timeline's bin resolution.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON, not the table.")
def report(
    *,
    as_json: bool,
    run_dir: Path | None,
    gate: bool | None,
    allow_overrides: bool | None,
    quantiles: str,
    formats: str,
    out: Path | None,
    recovery_window: float,
) -> None:
    """Render RUN_DIR's report (HTML, Markdown, JSON, JUnit) from its files alone.

    Reads only the run directory (never a socket), so any run can be re-rendered later.
    RUN_DIR defaults to the newest run under .chaoslab/runs. With GITHUB_STEP_SUMMARY set,
    the Markdown is appended to it.

    \b
    Example:
      chaoslab report .chaoslab/runs/2026-12-01T10-02-11-v3
      chaoslab report --gate --format md,xml     # in CI
      chaoslab report --json | jq .status
    """
    from reports import render_all
    from reports.render import FORMATS

    try:
        levels = _quantiles(quantiles)
    except click.BadParameter as error:
        _fail(f"--quantiles {error.message}")
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        _fail(f"--format {formats!r}: choose from {', '.join(FORMATS)}")
    if run_dir is None:
        run_dir = _latest_run(Path(".chaoslab"))
    result = render_all(
        run_dir,
        gate=gate,
        allow_overrides=allow_overrides,
        quantiles=levels,
        recovery_window_s=recovery_window,
        formats=wanted,
        out_dir=out,
    )
    if result.report is None:
        _fail(result.error)
    for warning in result.warnings:
        click.echo(f"chaoslab report: warning: {warning}", err=True)
    if as_json:
        import msgspec

        click.echo(msgspec.json.format(msgspec.json.encode(result.report), indent=2))
        sys.exit(result.exit_code)
    click.echo(result.text)
    click.echo("")
    names = list(result.paths.values())
    if names:
        first, rest = names[0], names[1:]
        also = f"   (also {' '.join(p.suffix for p in rest)})" if rest else ""
        click.echo(f"report: {first}{also}   exit {result.exit_code}")
    sys.exit(result.exit_code)


def _fail(message: str) -> NoReturn:
    click.echo(f"chaoslab report: {message}", err=True)
    sys.exit(2)


def _latest_run(lab_dir: Path) -> Path:
    """The newest run directory (one with events) under ``lab_dir/runs``."""
    from chaoslab.runs import find_runs
    from rundir.layout import EVENTS_FILE, RUNS_DIR

    for entry in find_runs(lab_dir):
        if (entry.path / EVENTS_FILE).is_file():
            return entry.path
    _fail(f"no RUN_DIR given and no run under {lab_dir / RUNS_DIR}; make one with `chaoslab run`")
