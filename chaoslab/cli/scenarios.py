"""``chaoslab scenarios``: the shipped experiments and their hypotheses; validate a file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chaoslab.cli.options import stack_option

__all__ = ["scenarios"]


def _chaostoolkit(
    names: tuple[str, ...],
    export_to: Path | None,
    import_from: Path | None,
    stack_dir: Path | None,
    duration: float | None,
) -> int:
    import json

    from lab.stack import StackError
    from lab.stack.stackdirs import current_stack_dir
    from rundir import RunDirError, read_stack
    from scenarios.chaostoolkit import ExportError, from_chaostoolkit, to_chaostoolkit
    from scenarios.loader import ScenarioError, load_scenario
    from scenarios.targets import TargetError

    try:
        stack = read_stack(current_stack_dir(stack_dir))
        if import_from is not None:
            experiment = json.loads(import_from.read_text(encoding="utf-8"))
            click.echo(from_chaostoolkit(experiment, stack), nl=False)
            return 0
        if len(names) != 1 or export_to is None:
            raise ExportError("name exactly one scenario to export")
        item = load_scenario(names[0])
        data = to_chaostoolkit(item.scenario, stack, name=item.name, duration=duration)
        export_to.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {export_to}: run it with `chaos run {export_to}`")
        return 0
    except (ExportError, ScenarioError, TargetError, StackError, RunDirError) as error:
        click.echo(f"chaoslab scenarios: {error}", err=True)
    except (OSError, ValueError) as error:
        click.echo(f"chaoslab scenarios: {import_from}: not a JSON experiment ({error})", err=True)
    return 2


_NOMINAL = "the phase's nominal"


def _plain(value: object) -> object:
    """Seconds (a float subclass) as a number, anything else unknown as text."""
    return float(value) if isinstance(value, int | float) else str(value)


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """``60s`` / ``2m`` like every other command (a bare number, the old spelling, is
    seconds)."""
    from chaoslab.cli.campaign_options import seconds

    return None if value is None else seconds(ctx, param, value)


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME|FILE]...")
@click.option("--brief", is_flag=True, help="One line per scenario: name and title.")
@click.option("--json", "as_json", is_flag=True, help="Print the scenarios as JSON.")
@click.option(
    "--export-chaostoolkit",
    "export_to",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the one scenario named as a Chaos Toolkit experiment (needs a running stack).",
)
@click.option(
    "--import-chaostoolkit",
    "import_from",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Print a Chaos Toolkit experiment as scenario TOML (needs a running stack).",
)
@stack_option(
    help="The stack whose proxies roles resolve to (default: .chaoslab/current).",
)
@click.option(
    "--duration",
    default=None,
    callback=_duration,
    metavar="DURATION",
    help="Export: scale the timeline to this run length (e.g. 60s, 2m).",
)
def scenarios(
    names: tuple[str, ...],
    brief: bool,
    as_json: bool,
    export_to: Path | None,
    import_from: Path | None,
    stack_dir: Path | None,
    duration: float | None,
) -> None:
    """List the scenarios with their hypotheses, or validate and show the ones named.

    A file that does not validate prints one line (file:line: key: reason) and exits 2.

    \b
    Example:
      chaoslab scenarios
      chaoslab scenarios provider-outage
      chaoslab scenarios ./my-experiment.toml
      chaoslab scenarios redis-latency --export-chaostoolkit exp.json && chaos run exp.json
    """
    from rich.console import Console
    from rich.markup import escape

    from chaoslab.run.plan import DEFAULT_RATE
    from scenarios.loader import ScenarioError, list_scenarios, load_scenario

    console = Console(highlight=False, emoji=False, soft_wrap=not sys.stdout.isatty())
    if export_to is not None or import_from is not None:
        sys.exit(_chaostoolkit(names, export_to, import_from, stack_dir, duration))
    try:
        loaded = [load_scenario(name) for name in (names or list_scenarios())]
    except ScenarioError as error:
        click.echo(f"chaoslab scenarios: {error}", err=True)
        sys.exit(2)
    if as_json:
        import msgspec

        listed = [{"name": i.name, "file": str(i.path),
                   **msgspec.to_builtins(i.scenario, enc_hook=_plain)}
                  for i in loaded]  # fmt: skip
        click.echo(msgspec.json.format(msgspec.json.encode(listed), indent=2))
        return
    for item in loaded:
        scenario = item.scenario
        if brief:
            console.print(f"[bold]{escape(item.name):<22}[/bold] {escape(scenario.title)}")
            continue
        faults = ", ".join(
            f"{f.action} on {f.target} at {f.at:g}s"
            + (f" for {f.duration:g}s" if f.duration is not None else "")
            for f in scenario.faults
        )
        load = scenario.load
        if load.arrival_rate:
            model = f"open model {load.arrival_rate:g}/s"
        elif load.users is None and load.shape == "steady":
            model = f"open model {DEFAULT_RATE:g}/s (the default; --users for closed users)"
        else:
            model = f"{load.users or _NOMINAL} users, {load.shape}"
        # text from the scenario file is printed as written (markup off)
        console.print(f"[bold]{escape(item.name)}[/bold] - {escape(scenario.title)}")
        console.print(f"  hypothesis: {scenario.hypothesis}", markup=False)
        console.print(f"  teaches:    {scenario.teaches}", markup=False)
        console.print(f"  load:       {model}, {load.duration:g}s", markup=False)
        console.print(f"  faults:     {faults or 'none'}", markup=False)
        if names:
            console.print(f"  file:       {item.path}", markup=False)
        console.print()
    if not names:
        console.print("run one:  chaoslab run --phase v3 --scenario provider-outage")
