"""`chaoslab spof` and `capacity` refuse bad input in one line, exit 2, before any stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from chaoslab.cli import main


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["spof", "--phase", "v9"], "v9"),
        (["spof", "--phase", "v1", "--only", "printer"], "--only printer: not a kind"),
        (["spof", "--phase", "v1", "--duration", "4s"], "8s or more"),
        (["spof", "--phase", "v1", "--duration", "soon"], "is not a duration"),
        (["spof", "--phase", "v1", "--prices", "{bad}"], "monthly.replicas: not a unit"),
        (["capacity", "--phase", "v1,v9"], "v9"),
        (
            ["capacity", "--phase", "v1", "--start-rate", "50", "--max-rate", "10"],
            "--start-rate 50 is above --max-rate 10",
        ),
        (["capacity", "--phase", "v1", "--step", "5s"], "10s or more"),
        (["capacity", "--phase", "v1", "--max-rate", "1e9"], "--max-rate"),
        (["capacity", "--phase", "v1", "--prices", "{bad}"], "monthly.replicas: not a unit"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], fragment: str) -> None:
    """Each bad value is named in one line on stderr; nothing starts."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[monthly]\nreplicas = 3\n")
    args = [str(bad) if a == "{bad}" else a for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
