"""Options of the commands that run campaigns (``spof``, ``capacity``) and price phases."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from reports.cost import Prices

__all__ = ["PRICES_FILE", "load_prices_or_fail", "prices_option", "seconds_option"]

F = TypeVar("F", bound=Callable[..., Any])
PRICES_FILE = Path(__file__).resolve().parents[2] / "lab" / "prices.toml"
"""The shipped illustrative prices (docs/cost.md)."""


def seconds(_ctx: click.Context, param: click.Parameter, value: str | float | None) -> float:
    from scenarios.model import parse_seconds

    if isinstance(value, float):
        return value
    text = str(value)
    try:
        seconds = float(text) if text.replace(".", "", 1).isdigit() else float(parse_seconds(text))
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    if seconds <= 0:
        raise click.BadParameter("must be more than 0 seconds")
    return seconds


def seconds_option(name: str, *, default: str, help: str) -> Callable[[F], F]:
    """A duration option (``30s``, ``2m``, ``90``) that reaches the command as seconds."""
    return click.option(
        name, default=default, show_default=True, callback=seconds, metavar="DURATION", help=help
    )


def prices_option() -> Callable[[F], F]:
    """``--prices FILE``: monthly unit prices overriding lab/prices.toml (any subset)."""
    return click.option(
        "--prices",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Monthly unit prices overriding lab/prices.toml (docs/cost.md).",
    )


def load_prices_or_fail(command: str, path: Path | None) -> Prices:
    """The shipped prices, overridden by ``path``; one line and exit 2 when it is bad."""
    from reports.cost import PricesError, load_prices

    try:
        base = load_prices(PRICES_FILE)
        return load_prices(path, base=base) if path is not None else base
    except PricesError as error:
        click.echo(f"{command}: {error}", err=True)
        sys.exit(2)
