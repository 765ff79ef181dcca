"""``chaoslab down``: stop the current stack."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chaoslab.cli.options import stack_option

__all__ = ["down"]


@click.command()
@stack_option()
def down(*, stack_dir: Path | None) -> None:
    """Stop everything the stack started (frozen processes are resumed first), free every
    port, remove its data; logs and stack.json stay for reports. Idempotent.

    \b
    Example:
      chaoslab down
      chaoslab down --stack .chaoslab/stacks/2026-12-01T10-02-11-v3
    """
    from lab.stack import StackError
    from lab.stack import down as stack_down
    from lab.stack.stackdirs import current_stack_dir

    try:
        where = current_stack_dir(stack_dir)
    except StackError as error:
        if stack_dir is None:
            click.echo("chaoslab down: no stack here; nothing to stop")
            return
        click.echo(f"chaoslab down: {error}", err=True)
        sys.exit(2)
    already = _stopped(where)
    for line in _revert_leftovers(where):
        click.echo(line)
    stack_down(where)  # idempotent: also clears what a stopped stack may have left
    click.echo(f"already stopped: {where}" if already else f"stopped: {where}")


def _stopped(stack_dir: Path) -> bool:
    """Every component of a stack the lab started is down already (a second ``down``)."""
    from lab.stack import status as stack_status
    from rundir import RunDirError, read_stack

    try:
        if read_stack(stack_dir).backend == "external":
            return False  # not ours to stop: its parts answer or not whatever `down` does
        rows = stack_status(stack_dir)
    except (RunDirError, OSError):
        return False  # still starting (no stack.json yet): stop it
    return bool(rows) and all(row.state == "down" for row in rows)


def _revert_leftovers(stack_dir: Path) -> list[str]:
    """Faults a killed ``chaoslab run`` left open on this stack, and its leftover Locust
    processes: undone before the stack stops (on an external stack, nothing else would)."""
    from chaoslab.run.cleanup import cleanup_runs

    try:
        return cleanup_runs(stack_dir)
    except Exception as error:  # down must always go on to stop the stack
        return [f"warning: could not revert faults left by killed runs: {error}"]
