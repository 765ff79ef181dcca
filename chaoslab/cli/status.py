"""``chaoslab status``: the components of the current stack, up or down."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chaoslab.cli.options import stack_option
from chaoslab.cli.tables import print_table

if TYPE_CHECKING:
    from rich.console import Console

    from rundir import Stack

__all__ = ["print_stack", "status"]


def print_stack(console: Console, stack: Stack) -> None:
    """The table ``up`` prints: every component, its URL and how to reach it."""
    from rich.table import Table
    from rich.text import Text

    routes: dict[str, list[str]] = {}
    for route in stack.proxies:
        routes.setdefault(route.component, []).append(route.listen.rsplit(":", 1)[-1])
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("component", "kind", "url", "notes"):
        table.add_column(column)
    for part in stack.components:
        notes = []
        if part.name in routes:
            ports = routes[part.name]
            notes.append(
                f"via proxy :{ports[0]}" + (f" (+{len(ports) - 1})" if len(ports) > 1 else "")
            )
        if part.region:
            notes.append(f"region {part.region}")
        cells = (part.name, part.kind, part.url or "-", " ".join(notes))
        table.add_row(*(Text(cell) for cell in cells))  # from stack.json: no markup
    print_table(console, table)
    console.print(f"front door   {stack.front_door}", markup=False)
    if stack.prometheus_url:
        console.print(f"prometheus   {stack.prometheus_url}", markup=False)
    for part in stack.of_kind("provider"):
        if part.admin_url:
            console.print(f"faults       {part.admin_url}/faults  ({part.name})", markup=False)
    if stack.proxy_api:
        console.print(
            f"proxy API    {stack.proxy_api}  ({len(stack.proxies)} proxies)", markup=False
        )


def _all_stacks(as_json: bool) -> None:
    """Every stack directory under .chaoslab/stacks: running or stopped (stacks are not
    runs: `chaoslab runs` lists runs)."""
    import json

    from lab.stack import status as stack_status
    from rundir import RunDirError, read_stack
    from rundir.layout import CURRENT_LINK, LAB_DIR, STACKS_DIR

    root = LAB_DIR / STACKS_DIR
    link = LAB_DIR / CURRENT_LINK
    current = link.resolve() if link.exists() else None
    rows = []
    for path in sorted(root.iterdir(), reverse=True) if root.is_dir() else []:
        try:
            stack = read_stack(path)
            states = {row.state for row in stack_status(path)}
        except (RunDirError, OSError):
            continue
        state = "stopped" if states <= {"down"} else "running"
        rows.append({"stack": str(path), "phase": stack.phase, "backend": stack.backend,
                     "state": state, "current": path.resolve() == current})  # fmt: skip
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"no stack under {root}; start one with `chaoslab up`")
    for row in rows:
        mark = " (current)" if row["current"] else ""
        click.echo(f"{row['state']:<8} {row['phase']:<4} {row['backend']:<8} {row['stack']}{mark}")


@click.command()
@stack_option()
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@click.option(
    "--all", "every", is_flag=True, help="List every stack directory, running or stopped."
)
def status(*, stack_dir: Path | None, as_json: bool, every: bool) -> None:
    """Show every component of the stack: state (up, down, frozen), pid, URL; then the run
    in progress, and every fault still on with the run that opened it.

    Exit 0 when every component is up, or when the stack is stopped (every component
    down: one line says so); 1 when some are up and some are not, or when a runner that
    is gone (killed) left a fault on.

    \b
    Example:
      chaoslab status
      chaoslab status --stack .chaoslab/stacks/2026-12-01T10-02-11-v3 --json
      chaoslab status --all
    """
    if every:
        _all_stacks(as_json)
        return
    import msgspec
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from lab.stack import StackError
    from lab.stack import status as stack_status
    from lab.stack.stackdirs import current_stack_dir
    from rundir import RunDirError, read_stack

    try:
        where = current_stack_dir(stack_dir)
        rows = stack_status(where)
    except (StackError, RunDirError) as error:
        click.echo(f"chaoslab status: {error}", err=True)
        sys.exit(2)
    # a stack the lab started and `down` stopped (an external one is only unreachable)
    ours = read_stack(where).backend != "external"
    stopped = ours and bool(rows) and all(row.state == "down" for row in rows)
    if as_json:
        click.echo(msgspec.json.encode(rows).decode())
    elif stopped:
        click.echo(f"stack in {where} is stopped; start one with `chaoslab up`")
    else:
        table = Table(title=f"stack in {where}", title_justify="left", box=None)
        for column in ("component", "kind", "state", "pid", "restarts", "url"):
            table.add_column(column)
        colour = {"up": "green", "frozen": "yellow", "down": "red", "unknown": "dim"}
        for row in rows:
            state = Text(row.state, style=colour[row.state])
            restarts = str(row.restarts) if row.restarts else "-"
            plain = (Text(cell) for cell in (row.name, row.kind))
            table.add_row(*plain, state, str(row.pid or "-"), restarts, Text(row.url or "-"))
        print_table(Console(emoji=False, soft_wrap=True), table)
    left = _print_open_faults(where, err=as_json)
    sys.exit(0 if (stopped or all(row.state == "up" for row in rows)) and not left else 1)


def _print_open_faults(stack_dir: Path, *, err: bool) -> bool:
    """One line per fault still on (the run that opened it, and whether its runner still
    runs); True when a fault was left by a runner that is gone."""
    from lab.stack.runlock import holder
    from scenarios.injector import open_faults

    running = holder(stack_dir)
    if running is not None:
        click.echo(f"run in progress: {running['run_dir']} (pid {running['pid']})", err=err)
    left = False
    for run_dir, event, live in open_faults(stack_dir):
        who = "its runner is running" if live else "its runner is gone: `chaoslab down` or the "
        who += "" if live else "next run reverts it"
        click.echo(
            f"open fault: {event.id} ({event.action} on {event.target}) opened by run "
            f"{run_dir}; {who}",
            err=err,
        )
        left = left or not live
    return left
