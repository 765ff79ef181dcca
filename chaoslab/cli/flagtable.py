"""The README's flag table, built from the click commands themselves.

One row per flag and kind of value: what it takes (a unit, a file, a list, a number) and
every command that has it, with that command's default. ``python -m chaoslab.cli.flagtable``
prints the table; ``--write`` replaces the one in README.md between its markers. A test keeps
README's table equal to this one, so a flag that drifts in name, unit or default shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chaoslab.cli import main

__all__ = ["END", "START", "flag_table", "readme_table"]

START = "<!-- flag-table:start (generated: python -m chaoslab.cli.flagtable --write) -->"
END = "<!-- flag-table:end -->"
README = Path(__file__).resolve().parents[2] / "README.md"


def _takes(option: click.Option) -> str:
    if option.is_flag:
        return "flag"
    if option.metavar:
        return option.metavar.replace("|", "\\|")
    kind = option.type
    if isinstance(kind, click.Choice):
        return "\\|".join(str(choice) for choice in kind.choices)
    if isinstance(kind, click.Path):
        return "FILE" if not kind.dir_okay else "DIR" if not kind.file_okay else "PATH"
    if isinstance(kind, click.IntRange) or kind is click.INT:
        return "N"
    if isinstance(kind, click.FloatRange) or kind is click.FLOAT:
        return "NUMBER"
    return "TEXT"


def _default(option: click.Option) -> str:
    value = option.default
    if isinstance(option.show_default, str):
        return option.show_default
    if option.is_flag or value is None or callable(value) or not option.show_default:
        return ""
    return str(value)


def _flag(option: click.Option) -> str:
    return next((o for o in option.opts if o.startswith("--")), option.opts[0])


def flag_table() -> str:
    """The Markdown table: flag, what it takes, the commands (with their defaults)."""
    context = click.Context(main)
    rows: dict[tuple[str, str], list[str]] = {}
    for name in main.list_commands(context):
        command = main.get_command(context, name)
        if command is None:
            continue
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden or _flag(param) == "--help":
                continue
            default = _default(param)
            shown = f"{name} ({default})" if default else name
            rows.setdefault((_flag(param), _takes(param)), []).append(shown)
    lines = ["| flag | takes | commands (default) |", "| --- | --- | --- |"]
    for (flag, takes), commands in sorted(rows.items()):
        lines.append(f"| `{flag}` | {takes} | {', '.join(commands)} |")
    return "\n".join(lines) + "\n"


def readme_table(text: str) -> str:
    """The table between README's markers."""
    start = text.index(START) + len(START)
    return text[start : text.index(END, start)].strip("\n") + "\n"


def _main(argv: list[str]) -> int:
    table = flag_table()
    if "--write" not in argv:
        sys.stdout.write(table)
        return 0
    text = README.read_text(encoding="utf-8")
    start = text.index(START) + len(START)
    end = text.index(END, start)
    README.write_text(text[:start] + "\n" + table + text[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
