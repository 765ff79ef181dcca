"""Tables that keep every character when the output is a file or a pipe (a CI log): cells
wrap (long words fold) instead of being cut with an ellipsis at the console's width."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["print_table"]


def print_table(console: Console, table: Table) -> None:
    """Print ``table``; off a terminal, no cell is truncated (each folds onto more lines)."""
    if not console.is_terminal:
        for column in table.columns:
            column.overflow = "fold"
            column.no_wrap = False
    console.print(table)
