"""The docs stay true: links resolve inside the repository, READMEs run Python through
``uv run``, and the phase table in docs/phases.md agrees with lab/phases.toml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lab.phases import load_phases

ROOT = Path(__file__).resolve().parents[3]
_SKIP_DIRS = {".venv", ".nox", ".tools", ".git", ".chaoslab", "node_modules", ".schemathesis"}
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```(\w*)\s*$")
# A command line in a shell block that starts a Python program without `uv run`.
_BARE_PYTHON = re.compile(r"^(?:\$\s*)?(?:[A-Z_]+=\S*\s+)*(python3?|chaoslab|pytest|locust)\b")


def _markdown_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.md")
        if not _SKIP_DIRS.intersection(path.relative_to(ROOT).parts)
    )


def _readmes() -> list[Path]:
    return [path for path in _markdown_files() if path.name == "README.md"]


@pytest.mark.parametrize("doc", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_inside_the_repository(doc: Path) -> None:
    """Every relative link of a Markdown file names a file or folder of the repository."""
    broken = []
    for target in _LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL or an anchor in the same page
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        if not path.is_relative_to(ROOT) or not path.exists():
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("readme", _readmes(), ids=lambda p: str(p.relative_to(ROOT)))
def test_readmes_run_python_through_uv(readme: Path) -> None:
    """Every shell line of a README that starts a Python program has ``uv run`` in front."""
    bare, shell = [], False
    for line in readme.read_text(encoding="utf-8").splitlines():
        fence = _FENCE.match(line.strip())
        if fence:
            shell = not shell and fence.group(1) in ("bash", "sh", "console", "shell", "")
            continue
        text = line.strip()
        if shell and _BARE_PYTHON.match(text):
            bare.append(text)
    assert bare == []


@pytest.mark.parametrize("readme", _readmes(), ids=lambda p: str(p.relative_to(ROOT)))
def test_readmes_point_nowhere_outside_the_repository(readme: Path) -> None:
    """No README sends a user to the team's files beside the repository."""
    assert "../shared" not in readme.read_text(encoding="utf-8")


def _phase_table() -> dict[str, list[str]]:
    """docs/phases.md's first table, row label -> cells (V1..V4)."""
    rows: dict[str, list[str]] = {}
    for line in (ROOT / "docs" / "phases.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def _percent(ratio: float) -> str:
    return f"{ratio * 100:g} %"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def test_phase_doc_table_agrees_with_the_phase_file() -> None:
    """Targets, providers and nominal load in docs/phases.md are those of lab/phases.toml."""
    table = _phase_table()
    phases = list(load_phases().values())
    assert [cell.split()[0] for cell in table[""]] == [p.title.split()[0] for p in phases]
    assert table["availability target"] == [_percent(p.targets.availability) for p in phases]
    assert table["p95 latency / TTFT target"] == [
        f"{_seconds(p.targets.latency_p95_s)} / {_seconds(p.targets.ttft_p95_s)}" for p in phases
    ]
    assert table["providers (fakes)"] == [", ".join(s.name for s in p.providers) for p in phases]
    users = [int(cell.split()[0]) for cell in table["nominal load"]]
    assert users == [p.load.users for p in phases]
