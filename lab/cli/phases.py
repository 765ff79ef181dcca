"""``chaoslab phases``: the phase table, from lab/phases.toml."""

from __future__ import annotations

import sys

import click

__all__ = ["phases"]


@click.command()
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
    table = Table(title="phases (lab/phases.toml)", title_justify="left", show_lines=True)
    table.add_column("")
    for phase in found.values():
        table.add_column(f"{phase.id}: {phase.title}")
    rows: list[tuple[str, list[str]]] = [
        ("replicas", [
            f"{len(p.regions)} regions x {p.replicas}" if p.multi_region else str(p.replicas)
            for p in found.values()
        ]),
        ("supervised", ["restarted" if p.supervise else "no" for p in found.values()]),
        ("providers", [", ".join(s.name for s in p.providers) for p in found.values()]),
        ("redis", [
            f"{p.redis.policy}, persistence {'on' if p.redis.persistence else 'off'}"
            + (", per region" if p.redis.per_region else "")
            for p in found.values()
        ]),
        ("store", [
            f"{p.store.kind} {p.store.policy}" + (" + standby" if p.store.standby else "")
            for p in found.values()
        ]),
        ("flags", [
            "\n".join(f"{k.removeprefix('CHAT_').lower()}={v}" for k, v in p.service_env().items())
            for p in found.values()
        ]),
        ("availability", [f"{p.targets.availability * 100:g} %" for p in found.values()]),
        ("p95 latency", [f"{p.targets.latency_p95_s:g} s" for p in found.values()]),
        ("p95 TTFT", [f"{p.targets.ttft_p95_s:g} s" for p in found.values()]),
        ("load", [
            f"{p.load.users} users ({p.load.seed_users} x {p.load.factor:g})"
            for p in found.values()
        ]),
    ]  # fmt: skip
    for label, cells in rows:
        table.add_row(label, *cells)
    Console(soft_wrap=True).print(table)
