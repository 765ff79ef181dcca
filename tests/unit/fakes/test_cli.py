"""The ``fake`` command's argument handling (no server is started)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lab.cli.fake import fake


def test_help_has_an_example() -> None:
    """``--help`` shows an Example block."""
    result = CliRunner().invoke(fake, ["--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_unknown_vendor_is_usage_error() -> None:
    """A vendor other than openai or anthropic exits 2."""
    result = CliRunner().invoke(fake, ["gemini", "--port", "9001"])
    assert result.exit_code == 2


def test_invalid_faults_file_names_the_field(tmp_path: Path) -> None:
    """A faults file with an out-of-range value exits 2 naming the field."""
    bad = tmp_path / "faults.yaml"
    bad.write_text("errors:\n  rate: 3\n", encoding="utf-8")
    result = CliRunner().invoke(fake, ["openai", "--port", "9001", "--faults", str(bad)])
    assert result.exit_code == 2
    assert "$.errors.rate" in result.output


def test_missing_faults_file(tmp_path: Path) -> None:
    """A faults file that does not exist exits 2."""
    result = CliRunner().invoke(
        fake, ["openai", "--port", "9001", "--faults", str(tmp_path / "nope.json")]
    )
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_inline_json_faults_are_validated() -> None:
    """Inline JSON given to ``--faults`` is validated like a file."""
    result = CliRunner().invoke(
        fake, ["openai", "--port", "9001", "--faults", '{"hang": {"rate": -1}}']
    )
    assert result.exit_code == 2
    assert "$.hang.rate" in result.output
