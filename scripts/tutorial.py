"""Run every command of docs/tutorial.md; ``--write`` puts their real outputs into it.

The tutorial marks each command and the place of its output::

    <!-- command: NAME exit=0 -->
    ```bash
    uv run chaoslab ...
    ```
    <!-- output: NAME -->
    ```text
    (filled by this script)
    ```
    <!-- /output -->

``python scripts/tutorial.py --check`` runs the commands in order in a fresh working directory
(``uv run chaoslab`` becomes this interpreter's ``-m chaoslab``) and exits 1 at the first whose
exit code is not the one marked; ``--write`` does the same and rewrites each output block from
what the command printed (live progress lines dropped, the working directory shown as ``.``,
long outputs cut in the middle; ``--from NAME`` resumes there, ``--only NAME`` redoes one
command). ``--list`` prints the commands. Nothing here is a test
double: the outputs in the tutorial are those of real runs on the machine that wrote them.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
_COMMAND = re.compile(
    r"<!-- command: (?P<name>[\w-]+) exit=(?P<exit>\d+) -->\n```bash\n(?P<line>.+?)\n```", re.S
)
_OUTPUT = r"(<!-- output: {name} -->\n```text\n)(.*?)(```\n<!-- /output -->)"
_LIVE = re.compile(r"^\s*\d+/\d+s · ")
MAX_LINES = 45


@dataclass(frozen=True)
class Command:
    name: str
    line: str
    exit_code: int

    def argv(self) -> list[str]:
        words = shlex.split(self.line)
        if words[:3] != ["uv", "run", "chaoslab"]:
            raise ValueError(f"{self.name}: a tutorial command starts with `uv run chaoslab`")
        return [sys.executable, "-m", "chaoslab", *words[3:]]


def commands(text: str) -> list[Command]:
    return [
        Command(m["name"], " ".join(m["line"].split()), int(m["exit"]))
        for m in _COMMAND.finditer(text)
    ]


def tidy(output: str, workdir: Path) -> str:
    """What the reader sees: no live progress lines, paths relative, at most MAX_LINES."""
    shown = output.replace(str(workdir), ".").replace(f"{ROOT}/", "")
    lines = [line.rstrip() for line in shown.splitlines()]
    lines = [line for line in lines if line and not _LIVE.match(line)]
    if len(lines) > MAX_LINES:
        head, tail = lines[: MAX_LINES - 15], lines[-14:]
        lines = [*head, f"... ({len(lines) - len(head) - len(tail)} lines left out)", *tail]
    return "\n".join(lines) + "\n"


def run_all(*, write: bool, start: str | None = None, only: str | None = None) -> int:
    text = TUTORIAL.read_text(encoding="utf-8")
    found = commands(text)
    if start is not None:  # resume: the commands from START on (each needs no earlier one)
        found = found[[c.name for c in found].index(start) :]
    if only is not None:  # one command (each needs no earlier one)
        found = [c for c in found if c.name == only]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    with tempfile.TemporaryDirectory(prefix="chaoslab-tutorial-") as temp:
        workdir = Path(temp)
        for number, command in enumerate(found, start=1):
            print(f"[{number}/{len(found)}] {command.line}", flush=True)
            started = time.monotonic()
            done = subprocess.run(
                command.argv(),
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            took = time.monotonic() - started
            output = done.stdout + done.stderr
            print(f"    exit {done.returncode} in {took:.0f} s", flush=True)
            if done.returncode != command.exit_code:
                print(output[-4000:], file=sys.stderr)
                print(
                    f"tutorial: {command.name}: exit {done.returncode}, the tutorial says "
                    f"{command.exit_code}",
                    file=sys.stderr,
                )
                return 1
            if write:
                pattern = re.compile(_OUTPUT.format(name=re.escape(command.name)), re.S)
                if not pattern.search(text):
                    print(f"tutorial: no output block for {command.name}", file=sys.stderr)
                    return 1
                shown = tidy(output, workdir)
                text = pattern.sub(lambda m, s=shown: m.group(1) + s + m.group(3), text)
                TUTORIAL.write_text(text, encoding="utf-8")
    return 0


def main(argv: list[str]) -> int:
    if argv == ["--list"]:
        for command in commands(TUTORIAL.read_text(encoding="utf-8")):
            print(f"{command.name}: {command.line} (exit {command.exit_code})")
        return 0
    if argv in (["--check"], ["--write"]):
        return run_all(write=argv == ["--write"])
    if len(argv) == 3 and argv[:2] == ["--write", "--from"]:
        return run_all(write=True, start=argv[2])
    if len(argv) == 3 and argv[:2] == ["--write", "--only"]:
        return run_all(write=True, only=argv[2])
    print(
        "usage: python scripts/tutorial.py --list | --check | --write [--from NAME | --only NAME]",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
