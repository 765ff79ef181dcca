"""Options several ``chaoslab`` commands share, declared once."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["lab_dir_option", "phases_option", "run_dir_option"]

F = TypeVar("F", bound=Callable[..., Any])


def run_dir_option(
    *, dest: str | None = None, help: str = "Run directory (default: .chaoslab/current)."
) -> Callable[[F], F]:
    """``--run-dir DIR``: the stack's run directory (``None`` when not given)."""
    names = ["--run-dir", dest] if dest else ["--run-dir"]
    return click.option(
        *names, type=click.Path(path_type=Path, file_okay=False), default=None, help=help
    )


def lab_dir_option() -> Callable[[F], F]:
    """``--lab-dir DIR``: where run directories live (``.chaoslab``)."""
    return click.option(
        "--lab-dir",
        type=click.Path(path_type=Path),
        default=Path(".chaoslab"),
        show_default=True,
        help="Where run directories live.",
    )


def _use_phases(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is None:
        return
    if not value.is_file():
        raise click.BadParameter(f"{value}: no such file; copy lab/phases.toml and edit it")
    from lab.phases import ENV_PHASES

    # the environment, not a parameter: the supervisor and every process the lab starts
    # read the same file
    os.environ[ENV_PHASES] = str(value.resolve())


def phases_option() -> Callable[[F], F]:
    """``--phases FILE``: read phases from another file (sets ``CHAOSLAB_PHASES``)."""
    return click.option(
        "--phases",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_use_phases,
        help="Phase file to use instead of lab/phases.toml (same format; $CHAOSLAB_PHASES).",
    )
