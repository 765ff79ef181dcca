"""docs/tutorial.md: every command parses against the real CLI, has its output block, and that
block holds what a real run printed (scripts/tutorial.py --write)."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest

from chaoslab.cli import main

ROOT = Path(__file__).resolve().parents[3]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tutorial", ROOT / "scripts" / "tutorial.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tutorial"] = module
    spec.loader.exec_module(module)
    return module


TUTORIAL = _script()
TEXT = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
COMMANDS = TUTORIAL.commands(TEXT)


def test_the_tutorial_walks_the_new_commands() -> None:
    """phases, run, spof (V1 and V3), compare (outage and region) and capacity, in order."""
    assert [c.name for c in COMMANDS] == [
        "phases",
        "v1-outage",
        "spof-v1",
        "compare-outage",
        "spof-v3",
        "capacity",
        "compare-region",
    ]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_each_command_parses_against_the_cli(command: object) -> None:
    """Flags and values are the CLI's (click parses them without running anything)."""
    words = shlex.split(command.line)[3:]  # type: ignore[attr-defined]
    group = click.Context(main)
    sub = main.get_command(group, words[0])
    assert sub is not None
    sub.make_context(words[0], words[1:], parent=group)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_each_command_has_the_output_a_real_run_printed(command: object) -> None:
    """The output block under each command is filled (by scripts/tutorial.py --write)."""
    name = command.name  # type: ignore[attr-defined]
    match = re.search(TUTORIAL._OUTPUT.format(name=re.escape(name)), TEXT, re.S)
    assert match, f"no output block for {name}"
    assert match.group(2).strip(), f"{name}: run `python scripts/tutorial.py --write`"


def test_the_short_durations_are_documented() -> None:
    """The tutorial says why its durations are short and which test runs it."""
    assert "Short durations on purpose" in TEXT
    assert "tests/e2e/test_tutorial.py" in TEXT
