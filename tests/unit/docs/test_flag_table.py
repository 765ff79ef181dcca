"""README's flag table is the CLI's: built from the click commands, equal to README's."""

from __future__ import annotations

from pathlib import Path

import click

from chaoslab.cli import main
from chaoslab.cli.flagtable import flag_table, readme_table

ROOT = Path(__file__).resolve().parents[3]


def test_readme_flag_table_equals_the_clis() -> None:
    """Regenerate with `uv run python -m chaoslab.cli.flagtable --write` when it differs."""
    readme = readme_table((ROOT / "README.md").read_text(encoding="utf-8"))
    assert readme == flag_table(), (
        "README's flag table differs from the CLI: `uv run python -m chaoslab.cli.flagtable "
        "--write` regenerates it"
    )


def _option(command: str, flag: str) -> click.Option:
    found = main.get_command(click.Context(main), command)
    assert found is not None
    return next(p for p in found.params if isinstance(p, click.Option) and flag in p.opts)


def test_one_meaning_per_shared_flag() -> None:
    """--phases is a FILE, --stack a DIR, --out a DIR, --seed a number, --duration a
    DURATION on every command that has them."""
    table = flag_table()
    for flag, takes in (("--phases", "FILE"), ("--stack", "DIR"), ("--out", "DIR"),
                        ("--seed", "N"), ("--json", "flag")):  # fmt: skip
        rows = [line for line in table.splitlines() if line.startswith(f"| `{flag}` |")]
        assert [row.split(" | ")[1] for row in rows] == [takes], rows
    durations = [line for line in table.splitlines() if line.startswith("| `--duration` |")]
    assert all("DURATION" in row for row in durations)


def test_old_spellings_still_work_unlisted() -> None:
    """`compare --phases v1,v3` (a list) and `--run-dir` parse, and --help does not show
    them; `scenarios --duration 30` is 30 s like `30s`."""
    compare = main.get_command(click.Context(main), "compare")
    assert compare is not None
    context = compare.make_context("compare", ["--phases", "v1,v3", "--scenario", "x"])
    assert context.meta["chaoslab.legacy_phase_list"] == "v1,v3"
    status = main.get_command(click.Context(main), "status")
    assert status is not None
    assert "--run-dir" not in status.get_help(click.Context(status))
    assert status.make_context("status", ["--run-dir", "."]).params["stack_dir"] == Path(".")
    scenarios = main.get_command(click.Context(main), "scenarios")
    assert scenarios is not None
    for given in ("30", "30s"):
        parsed = scenarios.make_context("scenarios", ["--duration", given])
        assert parsed.params["duration"] == 30.0


def test_top_level_help_shows_up_run_report() -> None:
    """`chaoslab --help` examples start with the main loop: up, run, report."""
    text = main.get_help(click.Context(main))
    example = text.split("Example:", 1)[1]
    assert [w for w in example.split() if w in ("up", "run", "report")][:3] == [
        "up",
        "run",
        "report",
    ]


def test_every_command_with_a_table_takes_json() -> None:
    """Commands that print a table or a list can print JSON instead."""
    for command in ("compare", "doctor", "phases", "report", "runs", "scenarios", "status",
                    "spof", "capacity"):  # fmt: skip
        assert _option(command, "--json").is_flag
