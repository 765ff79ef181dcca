"""service/README.md's variable table is the settings reader's own list."""

from __future__ import annotations

import re
from pathlib import Path

from service.settings import ENV_VARS

README = Path(__file__).resolve().parents[3] / "service" / "README.md"
_ROW = re.compile(r"^\| `((?:CHAT|PROMETHEUS)_[A-Z0-9_]+)` \| (.*) \|$")


def test_variable_table_lists_every_variable_with_the_readers_text() -> None:
    """Every variable ``Settings.from_env`` reads is in the README, described as ENV_VARS says."""
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line.rstrip())
        if match:
            rows[match.group(1)] = match.group(2)
    assert rows == ENV_VARS
