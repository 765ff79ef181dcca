"""``chaoslab up``: start a phase's stack and print where everything is."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from chaoslab.cli.options import phases_option, stack_option

__all__ = ["up"]


def _headline(phase_id: str) -> str:
    from lab.phases import get_phase

    phase = get_phase(phase_id)
    total = phase.total_replicas
    topology = (
        f"{len(phase.regions)} regions x {phase.replicas} replicas behind HAProxy"
        if phase.multi_region
        else f"{total} replicas behind HAProxy"
        if total > 1
        else "1 replica, no load balancer"
    )
    flags = phase.service_env()
    features = [
        name
        for name, variable in (
            ("retries", "CHAT_RETRY_ENABLED"),
            ("breakers", "CHAT_BREAKER_ENABLED"),
            ("failover", "CHAT_FAILOVER_ENABLED"),
        )
        if flags.get(variable, "true") == "true"
    ]
    if flags.get("CHAT_HEDGE_AFTER_MS", "0") != "0":
        features.append("hedging")
    providers = f"{len(phase.providers)} provider{'s' if len(phase.providers) > 1 else ''}"
    if features:
        providers += f" ({', '.join(features)})"
    target = f"target {phase.targets.availability * 100:g} %"
    return f"phase {phase.title} · {topology} · {providers} · {target}"


@click.command()
@phases_option()
@click.option(
    "--phase",
    default="v1",
    show_default=True,
    metavar="PHASE",
    help="Phase id from lab/phases.toml.",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "compose", "external"]),
    default="local",
    show_default=True,
    help="local: processes here; compose: files for Docker Compose; external: a file of URLs.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the fake providers.")
@stack_option(
    help="Stack directory (default: a new .chaoslab/stacks/<time>-<phase>, linked as current)."
)
@click.option("--foreground", is_flag=True, help="Stay attached; Ctrl-C stops the stack.")
@click.option(
    "--fresh",
    is_flag=True,
    help="Start a new stack even while the current one runs (both then run; see down --all).",
)
@click.option(
    "--targets",
    "targets_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="external backend: TOML or JSON file of the stack's URLs.",
)
@click.option(
    "--allow-remote", is_flag=True, help="external backend: accept targets outside loopback."
)
def up(
    *,
    phase: str,
    backend: str,
    seed: int,
    stack_dir: Path | None,
    foreground: bool,
    fresh: bool,
    targets_file: Path | None,
    allow_remote: bool,
) -> None:
    """Start the stack of one phase, wait until every part is ready, print its URLs.

    Without --foreground one supervisor process owns the stack and this command returns
    once it is ready; `chaoslab status` and `chaoslab down` find it again (from
    .chaoslab/current, or --stack DIR). While the current stack runs, `up` refuses (a
    second stack would leave the first one without a `current` link) unless --fresh.

    \b
    Example:
      chaoslab up --phase v3 --seed 7
      chaoslab up --phase v1 --foreground
      chaoslab up --backend external --targets staging.toml --phase v2
    """
    from rich.console import Console

    from lab.phases import PhaseError
    from lab.stack import StackError, Step, serve
    from lab.stack import up as stack_up
    from lab.stack.stackdirs import new_stack_dir

    console = Console(highlight=False, emoji=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)
    try:
        headline = _headline(phase)
    except PhaseError as error:
        err.print(f"chaoslab up: {error}", markup=False)
        sys.exit(2)
    if foreground and backend != "local":
        err.print("chaoslab up: --foreground works with --backend local only", markup=False)
        sys.exit(2)
    if stack_dir is None and not fresh:
        running = _running_current()
        if running is not None:
            err.print(
                f"chaoslab up: a stack already runs in {running}; use it, stop it with "
                "`chaoslab down`, or pass --fresh to start another",
                markup=False,
            )
            sys.exit(2)
    console.print(headline, markup=False)
    started = time.monotonic()

    from rich.markup import escape

    def show(step: Step) -> None:
        line = escape(f"{step.name:<18} {step.detail}")  # names and paths: never markup
        if step.state == "ready":
            console.print(f"  [green]✔[/] {line}")
        elif step.state == "failed":
            console.print(f"  [red]✖[/] {line}")
        elif step.state == "info":
            console.print(f"  [dim]·[/] {line}")

    target_dir = stack_dir if stack_dir is not None else new_stack_dir(phase)
    try:
        with console.status("starting...", spinner="dots"):
            stack = stack_up(
                phase, backend=backend, seed=seed, stack_dir=target_dir, foreground=foreground,  # type: ignore[arg-type]
                progress=show, external_file=targets_file, allow_remote=allow_remote,
            )  # fmt: skip
    except (PhaseError, StackError) as error:
        err.print(f"chaoslab up: {error}", markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("chaoslab up: interrupted; the stack was stopped", markup=False)
        sys.exit(130)
    from chaoslab.cli.status import print_stack

    print_stack(console, stack)
    elapsed = time.monotonic() - started
    console.print(f"ready in {elapsed:.1f} s · stack directory {target_dir}", markup=False)
    from rundir import RunDirError, stack_keys

    try:
        dev_key = stack_keys(stack)[0]  # read from the stack's key file (mode 600)
    except RunDirError:
        dev_key = "$KEY"
    from rundir import stack_token

    token = stack_token(stack)
    if token:
        console.print(
            f"token: {token}  (fault API and control channel: header x-chaoslab-token; "
            f"also in {stack.token_file}, mode 600)",
            markup=False,
        )
    console.print(
        f"try:  curl -s {stack.front_door}/v1/chat -H 'authorization: Bearer {dev_key}'"
        ' -d \'{"message":"hi"}\'',
        markup=False,
    )
    where = "" if stack_dir is None else f" --stack {stack_dir}"
    if foreground:
        console.print("stop: Ctrl-C (or `chaoslab down` from another shell)", markup=False)
        serve(target_dir)
    elif backend in ("local", "external"):
        console.print(f"stop: chaoslab down{where}", markup=False)


def _running_current() -> Path | None:
    """The current stack's directory while its supervisor (pid and start time) lives."""
    from lab.stack import StackError
    from lab.stack.processes import is_ours, supervisor_of
    from lab.stack.stackdirs import current_stack_dir
    from rundir import RunDirError, read_stack

    try:
        where = current_stack_dir()
        stack = read_stack(where)
    except (StackError, RunDirError):
        return None
    return where if is_ours(*supervisor_of(stack)) else None
