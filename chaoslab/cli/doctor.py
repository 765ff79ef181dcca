"""``chaoslab doctor``: which external programs this machine has for the lab, and whether
Docker can run the compose backend."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

import click

from chaoslab.cli.tables import print_table

if TYPE_CHECKING:
    from rich.text import Text

    from lab.docker_engine import DockerEngine

__all__ = ["doctor"]

_URL = re.compile(r"https?://[^\s`'\"<>]+")


def _linked(text: str) -> Text:
    """``text`` with every URL in it a terminal hyperlink (shown as the URL itself, so a
    terminal without hyperlinks or a pipe still shows where to go)."""
    from rich.text import Text

    linked = Text(text)
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:)")
        linked.stylize(f"link {url}", match.start(), match.start() + len(url))
    return linked


def _engine_json(engine: DockerEngine) -> dict[str, Any]:
    return {
        "state": engine.state,
        "client": engine.client,
        "server": engine.server,
        "compose": engine.compose,
        "problem": engine.problem,
        "fix": engine.fix,
        "url": engine.url,
    }


def _engine_lines(engine: DockerEngine) -> list[str]:
    """What the compose backend would meet, one line each, with the link to fix it."""
    if engine.state == "no_client":
        return [f"docker engine: no docker client; {engine.fix}: {engine.url}"]
    daemon = (
        f"daemon {engine.server}"
        if engine.server
        else f"daemon NOT REACHABLE ({engine.problem}); {engine.fix}: {engine.url}"
    )
    compose = (
        f"compose plugin {engine.compose}"
        if engine.compose
        else f"compose plugin MISSING; install it: {_compose_url()}"
    )
    verdict = (
        "the compose backend can run"
        if engine.ready
        else "the compose backend cannot run (the local backend needs no Docker)"
    )
    return [
        f"docker engine: client {engine.client or '?'}, {daemon}",
        f"  {compose}",
        f"  {verdict}",
    ]


def _compose_url() -> str:
    from lab.docker_engine import COMPOSE_URL

    return COMPOSE_URL


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def doctor(*, as_json: bool) -> None:
    """List every external program the lab can use, its version, and how to install it;
    say whether Docker can run the compose backend (client, daemon, compose plugin).

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
    from lab.docker_engine import check_docker

    found = [probe(binary) for binary in BINARIES]
    engine = check_docker()
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
                **({"engine": _engine_json(engine)} if f.binary.name == "docker" else {}),
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
        console = Console(emoji=False, soft_wrap=True)
        print_table(console, table)
        for f in found:
            if not f.ok:
                hint = f"Debian/Ubuntu `{f.binary.apt}`; macOS `{f.binary.brew}`"
                console.print(_linked(f"install {f.binary.name}: {hint}"))
        for line in _engine_lines(engine):
            console.print(_linked(line))
        if missing_required:
            names = ", ".join(f.binary.name for f in missing_required)
            console.print(f"[red]missing for the local backend:[/] {names}")
        else:
            console.print("[green]the local backend has everything it needs[/]")
    sys.exit(1 if missing_required else 0)
