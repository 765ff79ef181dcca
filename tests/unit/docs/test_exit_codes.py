"""One exit-code table: the README's, the verdict's constants and every command's --help agree."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from chaoslab.cli import main
from reports.render.cause import EXIT_MEANING
from reports.verdict import (
    EXIT_BAD_INPUT,
    EXIT_BREACHED,
    EXIT_INCONCLUSIVE,
    EXIT_INVALID,
    EXIT_MET,
)

README = Path(__file__).resolve().parents[3] / "README.md"
WORDS = {0: "met", 1: "breached", 2: "bad", 3: "inconclusive", 4: "invalid"}


def _readme_rows() -> dict[int, list[str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index("| exit | `run` and `report` | `compare RUN_A RUN_B` | `status` |")
    rows: dict[int, list[str]] = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[int(cells[0])] = cells[1:]
    return rows


def test_readme_table_has_each_code_for_each_command() -> None:
    """Codes 0-4, each with a meaning for run/report and the verdict's word in it."""
    rows = _readme_rows()
    assert sorted(rows) == [0, 1, 2, 3, 4]
    for code, cells in rows.items():
        assert len(cells) == 3
        assert WORDS[code] in cells[0].lower()
    assert "regressed" in rows[1][1]
    assert "different scenarios" in rows[2][1]
    assert "invalid" in rows[4][1]


def test_the_constants_and_banner_words_are_the_tables() -> None:
    """The verdict's exit constants and the banners' meanings are the README's codes."""
    assert (EXIT_MET, EXIT_BREACHED, EXIT_BAD_INPUT, EXIT_INCONCLUSIVE, EXIT_INVALID) == (
        0, 1, 2, 3, 4,
    )  # fmt: skip
    for code, word in WORDS.items():
        assert word in EXIT_MEANING[code]


def _help(command: str) -> str:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    return " ".join(result.output.split())


def test_run_and_report_help_list_the_same_codes() -> None:
    """`run --help` and `report --help` each name 0-4 with the table's words."""
    for command in ("run", "report"):
        text = _help(command)
        for code, word in WORDS.items():
            assert re.search(rf"\b{code} [^0-9]*{word}", text, re.IGNORECASE), (command, code)
        assert "with or without --gate" in text


def test_compare_help_lists_its_codes() -> None:
    """`compare --help` names 0, 1, 2 (different scenarios) and 4."""
    text = _help("compare")
    for phrase in ("0 no regression", "1 RUN_B regressed", "different scenarios", "4 a run"):
        assert phrase in text
