"""The ``fake`` command's argument handling (no server is started)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from chaoslab.cli.fake import fake


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


def test_bad_yaml_is_one_line_naming_the_file_once(tmp_path: Path) -> None:
    """A faults file that is not YAML gives one error line: the file once, line and column."""
    bad = tmp_path / "f.yaml"
    bad.write_text("errors:\n  rate: 0.1\n   mix: [\n", encoding="utf-8")
    result = CliRunner().invoke(fake, ["openai", "--port", "9001", "--faults", str(bad)])
    assert result.exit_code == 2
    error_lines = [line for line in result.output.splitlines() if "not valid YAML" in line]
    assert len(error_lines) == 1
    assert error_lines[0].count("f.yaml") == 1
    assert "line 3, column" in error_lines[0]
    assert not result.output.rstrip().endswith("^")  # no multi-line snippet from the parser


def test_host_that_is_not_an_address_is_usage_error() -> None:
    """``--host 999.1.1.1`` exits 2 with one line naming --host, no traceback."""
    result = CliRunner().invoke(fake, ["openai", "--port", "9001", "--host", "999.1.1.1"])
    assert result.exit_code == 2
    assert "--host" in result.output
    assert "not an IP address" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_header_timeout_must_be_positive() -> None:
    """``--header-timeout 0`` exits 2 with one line naming the option."""
    result = CliRunner().invoke(fake, ["openai", "--port", "9001", "--header-timeout", "0"])
    assert result.exit_code == 2
    assert "--header-timeout" in result.output


def test_models_must_name_one() -> None:
    """``--models ,`` exits 2 with one line naming the option."""
    result = CliRunner().invoke(fake, ["openai", "--port", "9001", "--models", " , "])
    assert result.exit_code == 2
    assert "--models" in result.output


def test_mark_out_of_range_is_usage_error() -> None:
    """``--mark 16`` exits 2 with one line naming the option."""
    result = CliRunner().invoke(fake, ["openai", "--port", "9001", "--mark", "16"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if "--mark" in line]
    assert len(lines) == 1
    assert "0<=x<=15" in lines[0]


def test_request_log_that_cannot_be_opened_is_usage_error(tmp_path: Path) -> None:
    """A request log in a missing directory exits 2 naming the option."""
    path = tmp_path / "missing" / "requests.jsonl"
    result = CliRunner().invoke(fake, ["openai", "--port", "9001", "--request-log", str(path)])
    assert result.exit_code == 2
    assert "--request-log" in result.output
    assert "cannot append" in result.output


def test_bad_baseline_latency_is_usage_error() -> None:
    """``--baseline-latency`` that is not a latency section exits 2 naming the option."""
    result = CliRunner().invoke(
        fake, ["openai", "--port", "9001", "--baseline-latency", '{"ttft": -1}']
    )
    assert result.exit_code == 2
    assert "--baseline-latency" in result.output
