"""What users read from nox and the benches speaks of the product, never of tracker issues."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_ISSUE = re.compile(r"\bissues?\b(?!\w)", re.IGNORECASE)


@pytest.mark.parametrize(
    "path",
    ["noxfile.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "benchmarks").glob("*.py"))],
)
def test_no_issue_numbers_in_user_facing_text(path: str) -> None:
    """nox sessions and bench docs and output never mention an issue (users have no tracker)."""
    text = (ROOT / path).read_text(encoding="utf-8")
    assert _ISSUE.findall(text) == []


def test_placeholder_sessions_say_not_built_yet_and_what_to_run() -> None:
    """Placeholder sessions (while any remain) say 'not built yet' and name a command to run."""
    text = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    placeholders = re.findall(r"_not_yet\(\s*session,(.*?)\)\n", text, re.DOTALL)
    if placeholders:
        assert "is not built yet; meanwhile run" in text
    for placeholder in placeholders:
        assert "chaoslab" in placeholder
