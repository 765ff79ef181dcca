"""``chaoslab down``: stop the current stack."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chaoslab.cli.options import stack_option
from rundir.layout import SUPERVISOR_PID_FILE

__all__ = ["down"]


@click.command()
@stack_option()
@click.option(
    "--all", "every", is_flag=True, help="Stop every running stack under .chaoslab/stacks/."
)
def down(*, stack_dir: Path | None, every: bool) -> None:
    """Stop everything the stack started (frozen processes are resumed first), free every
    port, remove its data; logs and stack.json stay for reports. Idempotent.

    \b
    Example:
      chaoslab down
      chaoslab down --stack .chaoslab/stacks/2026-12-01T10-02-11-v3
      chaoslab down --all          # every stack of this checkout
    """
    from lab.stack import StackError
    from lab.stack import down as stack_down
    from lab.stack.stackdirs import current_stack_dir

    if every:
        _down_all()
        return

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


def _down_all() -> None:
    """``down`` on every stack directory under ``.chaoslab/stacks/`` not stopped yet."""
    from lab.stack import down as stack_down
    from rundir.layout import LAB_DIR, STACKS_DIR

    root = LAB_DIR / STACKS_DIR
    stopped = 0
    for where in sorted(root.iterdir()) if root.is_dir() else []:
        if not where.is_dir() or where.is_symlink() or not _runs(where):
            continue
        for line in _revert_leftovers(where):
            click.echo(line)
        stack_down(where)
        click.echo(f"stopped: {where}")
        stopped += 1
    if not stopped:
        click.echo(f"no running stack under {root}; nothing to stop")


def _runs(stack_dir: Path) -> bool:
    """Whether something of the stack still runs: its supervisor (pid and start time), or
    a component of a stack the lab started."""
    from lab.stack.processes import is_ours, supervisor_of
    from rundir import RunDirError, read_stack

    try:
        stack = read_stack(stack_dir)
    except RunDirError:
        return (stack_dir / SUPERVISOR_PID_FILE).is_file()  # still starting, or failed
    return is_ours(*supervisor_of(stack)) or not _stopped(stack_dir)
