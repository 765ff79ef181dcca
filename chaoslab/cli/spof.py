"""``chaoslab spof``: the single-point-of-failure map of one phase, measured."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NoReturn

import click

from chaoslab.cli.campaign_options import prices_option, seconds_option
from chaoslab.cli.options import phases_option
from rundir.layout import LAB_DIR, SPOF_DIR, new_dir

__all__ = ["spof"]

EXIT_INVALID = 4


def _fail(message: str) -> NoReturn:
    click.echo(f"chaoslab spof: {message}", err=True)
    sys.exit(2)


@click.command(
    epilog="\b\nExit codes: 0 the map, 2 bad input, 4 a probe's run could not be judged "
    "(the map is partial), 130 interrupted."
)
@phases_option()
@click.option(
    "--phase",
    default="v1",
    show_default=True,
    metavar="PHASE",
    help="Phase id from the phase file: v1 .. v4.",
)
@seconds_option(
    "--duration",
    default="30s",
    help="Length of each probe's run (the component is lost from 25 % to 75 % of it).",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1, max=200.0),
    default=5.0,
    show_default=True,
    help="Open-model arrival rate of each probe, requests/s.",
)
@click.option(
    "--action",
    type=click.Choice(["kill", "freeze"]),
    default="kill",
    show_default=True,
    help="How a component is lost: kill (a crash) or freeze (SIGSTOP: alive, silent).",
)
@click.option(
    "--only",
    help="Probe only these kinds (comma-separated: replica, load-balancer, cache, store, "
    "provider, region).",
)
@seconds_option(
    "--max-time",
    default="20m",
    help="Bound on the whole map; probes that would end past it are listed as not run.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the stack and of every probe's load.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Campaign directory (default .chaoslab/spof/<time>-<phase>).",
)
@prices_option()
@click.option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON (progress goes to stderr)."
)
def spof(
    *,
    as_json: bool,
    phase: str,
    duration: float,
    rate: float,
    action: str,
    only: str | None,
    max_time: float,
    seed: int,
    out: Path | None,
    prices: Path | None,
) -> None:
    """Find the phase's single points of failure: for each component the phase has (each
    replica, the load balancer, the cache, the store, each provider, a region) one short run
    with that one component killed (or frozen), on one fresh stack. A component is a SPOF
    when availability inside its fault window falls below 50 %. The table sets each row
    beside what the seed's phase card says, and the phase's monthly cost beside its target.
    The lab's own instruments (Prometheus, the fault proxy, the load generator) are not probed.

    \b
    Example:
      chaoslab spof --phase v1
      chaoslab spof --phase v3 --duration 20s --max-time 10m
      chaoslab spof --phase v1 --only provider,store
      chaoslab spof --phase v2 --action freeze --prices my-prices.toml
    """
    import msgspec
    from rich.console import Console

    from chaoslab.cli.campaign_options import load_prices_or_fail
    from chaoslab.run.campaign import OVERHEAD_S, Campaign
    from lab.phases import PhaseError, get_phase
    from reports.spof import (
        CAMPAIGN_FILE,
        PlannedProbe,
        SpofPlan,
        build_spof,
        render_spof_html,
        render_spof_md,
        render_spof_text,
    )
    from scenarios.probes import KINDS, probe_toml, spof_probes

    price_list = load_prices_or_fail("chaoslab spof", prices)
    try:
        get_phase(phase)
    except PhaseError as error:
        _fail(str(error).splitlines()[0])
    kinds = {k.strip() for k in only.split(",") if k.strip()} if only else set()
    unknown = kinds - set(KINDS)
    if unknown:
        _fail(f"--only {','.join(sorted(unknown))}: not a kind (use {', '.join(KINDS)})")
    if duration < 8:
        _fail("--duration must be 8s or more (the component is lost for half of it)")
    console = Console(highlight=False, soft_wrap=True, stderr=as_json)
    target = (out or new_dir(LAB_DIR / SPOF_DIR, phase, mkdir=False)).resolve()
    if target.exists() and any(target.iterdir()):
        _fail(f"{target}: --out must be a new or empty directory")
    command = ("chaoslab", *sys.argv[1:])
    try:
        with Campaign(
            phase, out=target, seed=seed, budget_s=max_time, console=console, command=command
        ) as campaign:
            probes = spof_probes(campaign.stack, action=action)
            if kinds:
                probes = [p for p in probes if p.kind in kinds]
            plan = SpofPlan(
                phase=phase,
                stack_dir=str(campaign.stack_dir),
                duration_s=duration,
                rate=rate,
                probes=[],
            )
            console.print(
                f"{len(probes)} probes of {duration:.0f} s each (about "
                f"{len(probes) * (duration + OVERHEAD_S) / 60:.0f} min; bound "
                f"{max_time / 60:.0f} min)",
                markup=False,
            )
            for number, probe in enumerate(probes, start=1):
                name = re.sub(r"[^a-z0-9-]+", "-", probe.name.lower()).strip("-")
                planned = PlannedProbe(
                    name=probe.name,
                    kind=probe.kind,
                    target=probe.target,
                    action=probe.action,
                    components=list(probe.components),
                    run_dir=name,
                )
                if not campaign.fits(duration):
                    plan.not_run.append(f"{probe.name} ({probe.action} {probe.target})")
                    plan.probes.append(planned)
                    continue
                console.print(
                    f"[{number}/{len(probes)}] {probe.name}: {probe.action} "
                    f"{probe.target} for {duration / 2:.0f} s",
                    markup=False,
                )
                text = probe_toml(probe, phase=phase, duration=duration, rate=rate, timeout=5.0)
                try:
                    result = campaign.run(name, text, duration=duration)
                    planned = msgspec.structs.replace(planned, ran=True)
                    if result.status == "error":
                        planned = msgspec.structs.replace(planned, error=result.reason)
                except (ValueError, RuntimeError, FileExistsError) as error:
                    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                    planned = msgspec.structs.replace(planned, ran=True, error=reason)
                    console.print(f"  could not run: {reason}", markup=False)
                plan.probes.append(planned)
                (target / CAMPAIGN_FILE).write_bytes(msgspec.json.encode(plan))
                row = build_spof(target).rows[-1]
                window = (
                    "—" if row.window_availability is None else (f"{row.window_availability:.1%}")
                )
                console.print(
                    f"  availability in the window {window} ({row.window_requests} "
                    f"requests) · {row.verdict}"
                    f"{' · SPOF' if row.spof else ''}",
                    markup=False,
                )
            (target / CAMPAIGN_FILE).write_bytes(msgspec.json.encode(plan))
    except KeyboardInterrupt:
        click.echo("chaoslab spof: interrupted; every fault rolled back", err=True)
        sys.exit(130)
    except (ValueError, RuntimeError) as error:
        _fail(str(error).splitlines()[0] if str(error) else type(error).__name__)
    result_map = build_spof(target, prices=price_list)
    (target / "spof.md").write_text(render_spof_md(result_map), encoding="utf-8")
    (target / "spof.html").write_text(render_spof_html(result_map), encoding="utf-8")
    (target / "spof.json").write_bytes(msgspec.json.format(msgspec.json.encode(result_map)))
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(result_map)))
    else:
        console.print(render_spof_text(result_map), markup=False)
    console.print(f"spof: {target / 'spof.html'} (also .md .json)", markup=False)
    judged = {probe.name for probe in plan.probes if probe.ran}
    unjudged = [r for r in result_map.rows if r.component in judged and r.spof is None]
    sys.exit(EXIT_INVALID if unjudged else 0)
