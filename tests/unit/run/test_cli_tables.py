"""Tables in a log keep every character: off a terminal, cells fold instead of ending in
an ellipsis at 80 columns."""

from __future__ import annotations

import io

from click.testing import CliRunner
from rich.console import Console
from rich.table import Table

from chaoslab.cli import main
from chaoslab.cli.tables import print_table

LONG = "/home/ci/work/llm-chaos-lab/.chaoslab/stacks/2026-12-01T10-02-11-v3/parts/replica-1"


def test_a_long_cell_folds_instead_of_being_cut() -> None:
    """A path wider than its column comes out whole (split over lines), no ellipsis."""
    out = io.StringIO()
    table = Table()
    for column in ("name", "path", "notes"):
        table.add_column(column)
    table.add_row("replica-1", LONG, "a note long enough to need its own wrapping here")
    print_table(Console(file=out, width=80), table)
    text = out.getvalue()
    assert "…" not in text
    joined = "".join(line.split("│")[2].strip() for line in text.splitlines() if "│" in line)
    assert LONG in joined


def test_phases_table_in_a_pipe_has_no_ellipsis() -> None:
    """`chaoslab phases` through a pipe: nothing truncated."""
    result = CliRunner().invoke(main, ["phases"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
