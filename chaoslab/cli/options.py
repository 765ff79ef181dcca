"""Options several ``chaoslab`` commands share, declared once."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["LEGACY_PHASE_LIST", "lab_dir_option", "phases_option", "stack_option", "workers_option"]

F = TypeVar("F", bound=Callable[..., Any])


class _StackOption(click.Option):
    """``--stack`` in ``--help``; the old name ``--run-dir`` still works, unlisted."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        shown, self.opts = self.opts, [name for name in self.opts if name != "--run-dir"]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


def stack_option(
    *, help: str = "Stack directory (default: .chaoslab/current, the last `chaoslab up`)."
) -> Callable[[F], F]:
    """``--stack DIR`` (hidden alias ``--run-dir``): a stack directory, passed as
    ``stack_dir`` (``None`` when not given)."""
    return click.option(
        "--stack",
        "--run-dir",
        "stack_dir",
        cls=_StackOption,
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        metavar="DIR",
        help=help,
    )


def lab_dir_option() -> Callable[[F], F]:
    """``--lab-dir DIR``: where stack and run directories live (``.chaoslab``)."""
    return click.option(
        "--lab-dir",
        type=click.Path(path_type=Path),
        metavar="DIR",
        default=Path(".chaoslab"),
        show_default=True,
        help="Where run directories live.",
    )


LEGACY_PHASE_LIST = "chaoslab.legacy_phase_list"
"""``ctx.meta`` key: a phase list given to ``compare --phases`` in the old spelling."""
_PHASE_LIST = re.compile(r"^\s*v\d+(\s*,\s*v\d+)*\s*$", re.IGNORECASE)


def _use_phases(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is None:
        return
    listed = getattr(param, "accepts_list", False)
    if listed and not value.is_file() and _PHASE_LIST.match(str(value)):
        ctx.meta[LEGACY_PHASE_LIST] = str(value)  # the old `compare --phases v1,v3`
        return
    if not value.is_file():
        raise click.BadParameter(f"{value}: no such file; copy lab/phases.toml and edit it")
    from lab.phases import ENV_PHASES

    # the environment, not a parameter: the supervisor and every process the lab starts
    # read the same file
    os.environ[ENV_PHASES] = str(value.resolve())


class _PhasesOption(click.Option):
    """``--phases``; with ``accepts_list``, also the old comma list of phase ids."""

    accepts_list = False


def phases_option(*, legacy_list: bool = False) -> Callable[[F], F]:
    """``--phases FILE``: read phases from another file (sets ``CHAOSLAB_PHASES``).
    ``legacy_list``: a comma list of phase ids (``compare``'s old spelling of ``--phase``)
    is kept in ``ctx.meta[LEGACY_PHASE_LIST]`` instead."""

    class Option(_PhasesOption):
        accepts_list = legacy_list

    return click.option(
        "--phases",
        cls=Option,
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_use_phases,
        metavar="FILE",
        help="Phase file to use instead of lab/phases.toml (same format; $CHAOSLAB_PHASES).",
    )


def _workers(_ctx: click.Context, _param: click.Parameter, value: str) -> int | None:
    if value.strip().lower() == "auto":
        return None
    try:
        number = int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number of workers or auto") from None
    if not 0 <= number <= 64:
        raise click.BadParameter(f"{number} is not between 0 and 64")
    return number


def workers_option() -> Callable[[F], F]:
    """``--workers N|auto``: Locust worker processes (None: as many as the rate needs)."""
    return click.option(
        "--workers",
        callback=_workers,
        default="auto",
        metavar="N|auto",
        show_default=True,
        help="Locust worker processes (0: one standalone process; auto: as many as the "
        "offered rate needs).",
    )
