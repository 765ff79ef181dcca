"""``chaoslab status``: the components of the current stack, up or down."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chaoslab.cli.options import stack_option

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
    console.print(table)
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


@click.command()
@stack_option()
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
def status(*, stack_dir: Path | None, as_json: bool) -> None:
    """Show every component of the stack: state (up, down, frozen), pid, URL.

    Exit 0 when every component is up, 1 otherwise.

    \b
    Example:
      chaoslab status
      chaoslab status --stack .chaoslab/stacks/2026-12-01T10-02-11-v3 --json
    """
    import msgspec
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from lab.stack import StackError
    from lab.stack import status as stack_status
    from lab.stack.stackdirs import current_stack_dir
    from rundir import RunDirError

    try:
        where = current_stack_dir(stack_dir)
        rows = stack_status(where)
    except (StackError, RunDirError) as error:
        click.echo(f"chaoslab status: {error}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(msgspec.json.encode(rows).decode())
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
        Console(emoji=False, soft_wrap=True).print(table)
    sys.exit(0 if all(row.state == "up" for row in rows) else 1)
