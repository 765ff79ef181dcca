"""``chaoslab toxiproxy``: help and input checks (nothing is started)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lab.cli.toxiproxy import toxiproxy


def test_help_shows_an_example() -> None:
    """--help documents the options and carries an Example block."""
    result = CliRunner().invoke(toxiproxy, ["--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "--config" in result.output


def test_config_must_be_a_list(tmp_path: Path) -> None:
    """A config that is not a JSON list of proxies exits 2 with one clear line."""
    config = tmp_path / "proxies.json"
    config.write_text('{"name": "x"}', encoding="utf-8")
    result = CliRunner().invoke(toxiproxy, ["--config", str(config)])
    assert result.exit_code == 2
    assert "JSON list of proxies" in result.output


def test_bad_port_exits_2() -> None:
    """A port outside 0-65535 is a usage error."""
    assert CliRunner().invoke(toxiproxy, ["--port", "70000"]).exit_code == 2
