"""Options several ``chaoslab`` commands share, declared once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["lab_dir_option", "run_dir_option"]

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
