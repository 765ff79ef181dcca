"""``chaoslab toxiproxy`` and ``python -m fakes.toxiproxy``: help and input checks (nothing
is started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from chaoslab.cli.toxiproxy import toxiproxy
from fakes.toxiproxy import VERSION
from fakes.toxiproxy.__main__ import main as fakes_main


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


def test_config_with_an_invalid_proxy_exits_2(tmp_path: Path) -> None:
    """A config whose proxy lacks a field is a usage error (exit 2) naming it, no traceback."""
    config = tmp_path / "proxies.json"
    config.write_text('[{"name": "x", "listen": "127.0.0.1:0"}]', encoding="utf-8")
    result = CliRunner().invoke(toxiproxy, ["--port", "0", "--config", str(config)])
    assert result.exit_code == 2
    assert "missing required field: upstream" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_module_config_with_an_invalid_proxy_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """python -m fakes.toxiproxy -config with an invalid proxy prints one line and returns 1."""
    config = tmp_path / "proxies.json"
    config.write_text('[{"name": "x", "listen": "127.0.0.1:0"}]', encoding="utf-8")
    assert fakes_main(["-port", "0", "-config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "missing required field: upstream" in err


def test_bad_port_exits_2() -> None:
    """A port outside 0-65535 is a usage error."""
    assert CliRunner().invoke(toxiproxy, ["--port", "70000"]).exit_code == 2


def test_module_prints_version_like_toxiproxy_server(capsys: pytest.CaptureFixture[str]) -> None:
    """python -m fakes.toxiproxy -version prints what toxiproxy-server -version prints."""
    with pytest.raises(SystemExit) as caught:
        fakes_main(["-version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"toxiproxy-server version {VERSION}\n"


def test_deeply_nested_config_is_one_line(tmp_path: Path) -> None:
    """A config nested 100 000 levels deep exits 2 with one line, not a RecursionError."""
    config = tmp_path / "proxies.json"
    config.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = CliRunner().invoke(toxiproxy, ["--config", str(config)])
    assert result.exit_code == 2
    assert "nested too deeply" in result.output
    assert not isinstance(result.exception, RecursionError)
