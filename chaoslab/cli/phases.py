"""``chaoslab phases``: the phase table, from lab/phases.toml."""

from __future__ import annotations

import sys

import click

from chaoslab.cli.options import phases_option
from chaoslab.cli.tables import print_table

__all__ = ["phases"]


@click.command()
@phases_option()
@click.option("--json", "as_json", is_flag=True, help="Print every phase as JSON.")
def phases(*, as_json: bool) -> None:
    """Print the four architecture phases: topology, providers, flags, targets, load.

    \b
    Example:
      chaoslab phases
      chaoslab phases --json | jq '.v3.targets'
    """
    import msgspec
    from rich.console import Console
    from rich.table import Table

    from lab.phases import PhaseError, load_phases

    try:
        found = load_phases()
    except PhaseError as error:
        click.echo(f"chaoslab phases: {error}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(msgspec.json.encode({k: p.as_config() for k, p in found.items()}).decode())
        return
    from rich.text import Text

    console = Console(emoji=False, soft_wrap=True)
    table = Table(title="phases (lab/phases.toml)", title_justify="left", show_lines=True)
    for column in ("phase", "replicas", "providers", "redis", "store", "targets", "load"):
        table.add_column(column)
    for p in found.values():
        replicas = f"{len(p.regions)} regions x {p.replicas}" if p.multi_region else str(p.replicas)
        if p.supervise:
            replicas += ", restarted"
        redis = f"{p.redis.policy}, aof {'on' if p.redis.persistence else 'off'}"
        if p.redis.per_region:
            redis += ", per region"
        store = p.store.kind + (" + standby" if p.store.standby else "")
        targets = (
            f"{p.targets.availability * 100:g} %\np95 {p.targets.latency_p95_s:g} s"
            f"\nttft {p.targets.ttft_p95_s:g} s"
        )
        load = f"{p.load.users} users\n({p.load.seed_users} x {p.load.factor:g})"
        providers = "\n".join(s.name for s in p.providers)
        cells = (f"{p.id}\n{p.title}", replicas, providers, redis, store, targets, load)
        table.add_row(*(Text(cell) for cell in cells))  # text from the file: no markup
    print_table(console, table)
    for p in found.values():
        flags = " ".join(
            f"{k.removeprefix('CHAT_').lower()}={v}" for k, v in p.service_env().items()
        )
        console.print(f"{p.id} flags: {flags}", markup=False)
