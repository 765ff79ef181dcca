"""``chaoslab doctor``: which external programs this machine has for the lab."""

from __future__ import annotations

import sys

import click

__all__ = ["doctor"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def doctor(*, as_json: bool) -> None:
    """List every external program the lab can use, its version, and how to install it.

    Exit 0 when everything the default (local processes) backend needs is present,
    1 otherwise. Optional programs (mongod, toxiproxy-server, docker, wrk) never fail it.

    \b
    Example:
      chaoslab doctor
      chaoslab doctor --json | jq '.[] | select(.found | not)'
    """
    import json

    from rich.console import Console
    from rich.table import Table

    from lab.binaries import BINARIES, probe

    found = [probe(binary) for binary in BINARIES]
    missing_required = [f for f in found if f.binary.default_backend and not f.ok]
    if as_json:
        rows = [
            {
                "name": f.binary.name,
                "found": f.ok,
                "path": str(f.path) if f.path else None,
                "version": f.version,
                "required": f.binary.default_backend,
                "purpose": f.binary.purpose,
                "install_debian": f.binary.apt,
                "install_macos": f.binary.brew,
            }
            for f in found
        ]
        click.echo(json.dumps(rows, indent=2))
    else:
        table = Table(title="chaoslab doctor", title_justify="left")
        for column in ("program", "status", "version", "path", "needed for"):
            table.add_column(column)
        for f in found:
            if f.ok:
                status = "[green]found[/]"
            else:
                status = "[red]MISSING[/]" if f.binary.default_backend else "[yellow]absent[/]"
            need = f.binary.purpose + ("" if f.binary.default_backend else " (optional)")
            table.add_row(f.binary.name, status, f.version or "-", str(f.path or "-"), need)
        console = Console(soft_wrap=True)
        console.print(table)
        for f in found:
            if not f.ok:
                hint = f"Debian/Ubuntu `{f.binary.apt}`; macOS `{f.binary.brew}`"
                console.print(f"install {f.binary.name}: {hint}", markup=False)
        if missing_required:
            names = ", ".join(f.binary.name for f in missing_required)
            console.print(f"[red]missing for the local backend:[/] {names}")
        else:
            console.print("[green]the local backend has everything it needs[/]")
    sys.exit(1 if missing_required else 0)
