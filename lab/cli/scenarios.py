"""``chaoslab scenarios``: the shipped experiments and their hypotheses; validate a file."""

from __future__ import annotations

import sys

import click

__all__ = ["scenarios"]


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME|FILE]...")
@click.option("--brief", is_flag=True, help="One line per scenario: name and title.")
def scenarios(names: tuple[str, ...], brief: bool) -> None:
    """List the scenarios with their hypotheses, or validate and show the ones named.

    A file that does not validate prints one line (file:line: key: reason) and exits 2.

    \b
    Example:
      chaoslab scenarios
      chaoslab scenarios provider-outage
      chaoslab scenarios ./my-experiment.toml
    """
    from rich.console import Console

    from scenarios.loader import ScenarioError, list_scenarios, load_scenario

    console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    try:
        loaded = [load_scenario(name) for name in (names or list_scenarios())]
    except ScenarioError as error:
        click.echo(f"chaoslab scenarios: {error}", err=True)
        sys.exit(2)
    for item in loaded:
        scenario = item.scenario
        if brief:
            console.print(f"[bold]{item.name:<22}[/bold] {scenario.title}")
            continue
        faults = ", ".join(
            f"{f.action} on {f.target} at {f.at:g}s"
            + (f" for {f.duration:g}s" if f.duration is not None else "")
            for f in scenario.faults
        )
        load = scenario.load
        model = (
            f"open model {load.arrival_rate:g}/s"
            if load.arrival_rate
            else f"{load.users} users, {load.shape}"
        )
        console.print(f"[bold]{item.name}[/bold] - {scenario.title}")
        console.print(f"  hypothesis: {scenario.hypothesis}")
        console.print(f"  teaches:    {scenario.teaches}")
        console.print(f"  load:       {model}, {load.duration:g}s")
        console.print(f"  faults:     {faults or 'none'}")
        if names:
            console.print(f"  file:       {item.path}")
        console.print()
    if not names:
        console.print("run one:  chaoslab run --phase v3 --scenario provider-outage")
