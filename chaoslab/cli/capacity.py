"""``chaoslab capacity``: this machine's capacity under a phase's SLA, step by step."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from chaoslab.cli.campaign_options import prices_option, seconds_option
from chaoslab.cli.options import phases_option
from rundir.layout import CAPACITY_DIR, LAB_DIR, new_dir

__all__ = ["capacity"]

EXIT_INVALID = 4
REFINE_RATIO = 1.3
"""After the first breach, halve the interval (geometric midpoint) while it is wider than
this ratio and time remains."""


def _fail(message: str) -> NoReturn:
    click.echo(f"chaoslab capacity: {message}", err=True)
    sys.exit(2)


@click.command(
    epilog="\b\nExit codes: 0 the curve (a knee, or the partial result when the bound came "
    "first), 2 bad input, 4 no breach the lab could measure (the steps above the last passing "
    "one were invalid), 130 interrupted."
)
@phases_option()
@click.option(
    "--phase",
    "phase_list",
    default="v1",
    show_default=True,
    metavar="LIST",
    help="Phase id, or several comma-separated (v1,v3): one search each.",
)
@click.option(
    "--start-rate",
    type=click.FloatRange(min=0.1, max=1000.0),
    default=2.0,
    show_default=True,
    help="First step's offered rate, requests/s (open model).",
)
@click.option(
    "--factor",
    type=click.FloatRange(min=1.1, max=10.0),
    default=2.0,
    show_default=True,
    help="Each step offers this many times the last.",
)
@click.option(
    "--max-rate",
    type=click.FloatRange(min=0.1, max=1000.0),
    default=256.0,
    show_default=True,
    help="Highest rate tried, requests/s.",
)
@seconds_option("--step", default="30s", help="Length of each step's run.")
@seconds_option(
    "--max-time",
    default="9m",
    help="Bound per phase; the search stops there and says so, with the partial curve.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the stack and of every step's load.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write (default .chaoslab/capacity/<time>).",
)
@prices_option()
@click.option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON (progress goes to stderr)."
)
def capacity(
    *,
    as_json: bool,
    phase_list: str,
    start_rate: float,
    factor: float,
    max_rate: float,
    step: float,
    max_time: float,
    seed: int,
    out: Path | None,
    prices: Path | None,
) -> None:
    """Raise the offered rate step by step (open model) on a fresh stack until a target of
    the phase is breached. A step passes when no target is breached (inconclusive is not a
    breach); the knee is [last passing step, first breached step], narrowed by halving while
    time remains. Prints the curve (rate against p95, TTFT, availability), the knee and what
    broke first, with the seed's user band beside it. This is THIS machine's capacity: two
    cores shared by everything, so more replicas add no CPU and no order between phases is
    promised.

    \b
    Example:
      chaoslab capacity --phase v1
      chaoslab capacity --phase v1,v3 --step 20s --max-time 6m
      chaoslab capacity --phase v3 --start-rate 8 --factor 1.5
    """
    import msgspec
    from rich.console import Console

    from chaoslab.cli.campaign_options import load_prices_or_fail
    from lab.phases import PhaseError, get_phase
    from reports.capacity import (
        build_capacity,
        render_capacity_html,
        render_capacity_md,
        render_capacity_text,
    )

    price_list = load_prices_or_fail("chaoslab capacity", prices)
    phases = [p.strip().lower() for p in phase_list.split(",") if p.strip()]
    for phase in phases:
        try:
            get_phase(phase)
        except PhaseError as error:
            _fail(str(error).splitlines()[0])
    if start_rate > max_rate:
        _fail(f"--start-rate {start_rate:g} is above --max-rate {max_rate:g}")
    if step < 10:
        _fail("--step must be 10s or more (a step needs enough requests to judge)")
    console = Console(highlight=False, soft_wrap=True, stderr=as_json)
    target = (out or new_dir(LAB_DIR / CAPACITY_DIR, "", mkdir=False)).resolve()
    if target.exists() and any(target.iterdir()):
        _fail(f"{target}: --out must be a new or empty directory")
    invalid = False
    results = []
    try:
        for phase in phases:
            invalid |= _search(
                phase,
                target / phase,
                console=console,
                start=start_rate,
                factor=factor,
                ceiling=max_rate,
                step_s=step,
                budget=max_time,
                seed=seed,
            )
            results.append(build_capacity(target / phase, prices=price_list))
    except KeyboardInterrupt:
        click.echo("chaoslab capacity: interrupted; the stack is down", err=True)
        sys.exit(130)
    except (ValueError, RuntimeError) as error:
        _fail(str(error).splitlines()[0] if str(error) else type(error).__name__)
    (target / "capacity.md").write_text(render_capacity_md(results), encoding="utf-8")
    (target / "capacity.html").write_text(render_capacity_html(results), encoding="utf-8")
    (target / "capacity.json").write_bytes(msgspec.json.format(msgspec.json.encode(results)))
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(results)))
    else:
        console.print(render_capacity_text(results), markup=False)
    console.print(f"capacity: {target / 'capacity.html'} (also .md .json)", markup=False)
    no_knee = [r for r in results if r.first_breach is None]
    sys.exit(EXIT_INVALID if invalid and no_knee else 0)


def _search(
    phase: str,
    out: Path,
    *,
    console: Any,
    start: float,
    factor: float,
    ceiling: float,
    step_s: float,
    budget: float,
    seed: int,
) -> bool:
    """One phase's search on its own fresh stack; True when a step was invalid."""
    import msgspec

    from chaoslab.run.campaign import Campaign
    from reports.capacity import PLAN_FILE, CapacityPlan, PlannedStep, build_capacity
    from scenarios.probes import load_toml

    plan = CapacityPlan(phase=phase, step_s=step_s, budget_s=budget)
    passing: float | None = None
    breached: float | None = None
    unreachable: float | None = None  # lowest rate whose step was invalid
    rate = start
    with Campaign(
        phase,
        out=out,
        seed=seed,
        budget_s=budget,
        console=console,
        command=("chaoslab", *sys.argv[1:]),
    ) as campaign:
        while True:
            if breached is None and unreachable is None and rate > ceiling:
                plan.stopped = f"the next step ({rate:g}/s) is above --max-rate {ceiling:g}"
                break
            bounds = [r for r in (breached, unreachable) if r is not None]
            high = min(bounds) if bounds else None
            if high is not None:
                low = passing if passing is not None else 0.0
                if low and high / low <= REFINE_RATIO:
                    if breached is None or breached > high:
                        plan.stopped = _unreachable_text(phase, passing, unreachable)
                        (out / PLAN_FILE).write_bytes(msgspec.json.encode(plan))
                        return True
                    break
                rate = round((low * high) ** 0.5 if low else high / 2, 2)
            if not campaign.fits(step_s):
                if breached is None:
                    plan.stopped = (
                        f"the time bound ({budget / 60:.0f} min) came before a "
                        f"breach; next step would have been {rate:g}/s"
                    )
                break
            number = len(plan.steps) + 1
            console.print(
                f"{phase.upper()} step {number}: {rate:g} requests/s for "
                f"{step_s:.0f} s ({campaign.elapsed():.0f} s elapsed)",
                markup=False,
            )
            text = load_toml(
                title=f"{phase.upper()} at {rate:g} requests/s",
                hypothesis=f"{phase.upper()} keeps its targets at {rate:g} req/s.",
                teaches="Where this machine's capacity under the SLA ends.",
                duration=step_s,
                rate=rate,
                timeout=10.0,
            )
            name = f"step-{number:02d}"
            error = ""
            try:
                campaign.run(name, text, duration=step_s)
            except (ValueError, RuntimeError, FileExistsError) as problem:
                error = str(problem).splitlines()[0] if str(problem) else type(problem).__name__
            plan.steps.append(PlannedStep(rate=rate, run_dir=name, error=error))
            (out / PLAN_FILE).write_bytes(msgspec.json.encode(plan))
            result = build_capacity(out)
            done = next(s for s in result.steps if s.run_dir.endswith(name))
            console.print(
                f"  {done.status}: availability {_pct(done.availability)}, p95 "
                f"{_s(done.p95_s)}, TTFT p95 {_s(done.ttft_p95_s)}"
                f"{'; ' + '; '.join(done.breached) if done.breached else ''}"
                f"{'; ' + done.note if done.note else ''}",
                markup=False,
            )
            if done.status == "invalid":
                if passing is None or error:
                    plan.stopped = f"the step at {rate:g}/s was invalid: {done.note or error}"
                    (out / PLAN_FILE).write_bytes(msgspec.json.encode(plan))
                    return True
                # the lab could not measure this rate here (most often the load generator
                # fell behind): search below it for a breach the lab can measure
                unreachable = rate if unreachable is None else min(unreachable, rate)
                continue
            if done.status == "breached":
                breached = rate if breached is None else min(breached, rate)
            else:
                passing = rate if passing is None else max(passing, rate)
                if breached is None:
                    rate = round(rate * factor, 2)
    (out / PLAN_FILE).write_bytes(msgspec.json.encode(plan))
    return False


def _unreachable_text(phase: str, passing: float | None, unreachable: float | None) -> str:
    return (
        f"{phase.upper()} kept its targets at {passing:g}/s and the lab could not measure "
        f"{unreachable:g}/s on this machine (that step was invalid): the knee is above "
        f"{passing:g}/s, beyond what this machine can offer and serve at once"
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"
