"""The docs' stack-directory and run-directory tables are ``rundir.layout``'s own: printed
from it, and every file the report docs name is one of its entries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rundir.layout import RUN_LAYOUT, STACK_LAYOUT, Entry, markdown

DOCS = Path(__file__).resolve().parents[3] / "docs"


def _block(doc: str, name: str) -> str:
    text = (DOCS / doc).read_text(encoding="utf-8")
    found = re.search(rf"<!-- {name}:[^>]*-->\n(.*?)<!-- /{name} -->", text, re.DOTALL)
    assert found, f"docs/{doc} has no <!-- {name}: ... --> block"
    return found.group(1)


@pytest.mark.parametrize(
    ("doc", "name", "layout"),
    [("scenarios.md", "run-layout", RUN_LAYOUT), ("stack.md", "stack-layout", STACK_LAYOUT)],
)
def test_the_docs_table_is_the_layout(doc: str, name: str, layout: tuple[Entry, ...]) -> None:
    """docs/<doc>'s table equals rundir.layout.markdown(layout) (paste that when it changes)."""
    assert _block(doc, name) == markdown(layout)


def test_every_file_the_report_docs_name_is_a_run_layout_entry() -> None:
    """docs/reports.md's "what a run directory must hold" rows name layout entries only."""
    text = (DOCS / "reports.md").read_text(encoding="utf-8")
    section = text.split("## What a run directory must hold for a report", 1)[1].split("\n\n", 2)[1]
    named = re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE)
    assert named
    patterns = {entry.pattern for entry in RUN_LAYOUT}
    assert [name for name in named if name not in patterns] == []
