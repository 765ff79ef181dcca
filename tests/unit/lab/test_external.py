"""The external backend's file: checked, turned into stack.json with no control (the
lab's own Prometheus beside it is tested in tests/e2e/test_stack_external.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lab.stack import StackError, control
from lab.stack.external import describe
from rundir import NoControl, read_stack, stack_keys

TARGETS = """\
front_door = "http://127.0.0.1:8000"
api_key = "sk-staging"
proxy_api = "http://127.0.0.1:8474"
max_rps = 5

[[components]]
name = "fake-openai"
kind = "provider"
url = "http://127.0.0.1:9001"
admin_url = "http://127.0.0.1:9001/_fake"
provider = "openai"
vendor = "openai"

[[proxies]]
name = "openai"
listen = "127.0.0.1:19001"
upstream = "fake-openai:9001"
role = "provider:openai"
component = "fake-openai"
"""


def _file(tmp_path: Path, text: str = TARGETS) -> Path:
    path = tmp_path / "staging.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_loopback_file_becomes_stack_json_with_no_control(tmp_path: Path) -> None:
    """Every part is NoControl; the rate cap and the phase's targets are recorded."""
    stack = describe("v2", _file(tmp_path), stack_dir=tmp_path / "stack")
    assert read_stack(tmp_path / "stack").components == stack.components
    assert stack.backend == "external"
    assert stack.front_door == "http://127.0.0.1:8000"
    assert all(isinstance(c.control, NoControl) for c in stack.components)
    assert stack.phase_config["external"]["max_rps"] == 5
    assert stack.targets.availability == 0.99
    assert stack.proxies[0].role == "provider:openai"


def test_remote_targets_are_refused_without_the_flag(tmp_path: Path) -> None:
    """A host outside loopback is refused, naming the key and the flag."""
    path = _file(tmp_path, TARGETS.replace("127.0.0.1:8000", "staging.example.com:8000"))
    with pytest.raises(
        StackError, match=r"front_door points at staging\.example\.com.*--allow-remote"
    ):
        describe("v2", path, stack_dir=tmp_path / "stack")
    stack = describe("v2", path, stack_dir=tmp_path / "stack", allow_remote=True)
    assert stack.front_door == "http://staging.example.com:8000"


def test_the_default_rate_cap_is_recorded(tmp_path: Path) -> None:
    """Without max_rps the cap is 10 requests/s."""
    path = _file(tmp_path, TARGETS.replace("max_rps = 5\n", ""))
    stack = describe("v1", path, stack_dir=tmp_path / "stack")
    assert stack.phase_config["external"]["max_rps"] == 10


def test_an_unknown_key_is_one_line(tmp_path: Path) -> None:
    """A misspelt key names itself."""
    path = _file(tmp_path, TARGETS.replace("proxy_api", "proxy_apy"))
    with pytest.raises(StackError, match="unknown field `proxy_apy`") as caught:
        describe("v1", path, stack_dir=tmp_path / "stack")
    assert "\n" not in str(caught.value)


def test_an_unset_key_variable_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """api_key_env naming an unset variable is an error naming it."""
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    path = _file(
        tmp_path, TARGETS.replace('api_key = "sk-staging"', 'api_key_env = "NO_SUCH_KEY_VAR"')
    )
    with pytest.raises(StackError, match="NO_SUCH_KEY_VAR, which is unset"):
        describe("v1", path, stack_dir=tmp_path / "stack")


def test_controlling_an_external_part_is_refused(tmp_path: Path) -> None:
    """kill/freeze/restart on an external stack raise ControlError, touching nothing."""
    stack = describe("v1", _file(tmp_path), stack_dir=tmp_path / "stack")
    for action in (control.kill, control.freeze, control.restart):
        with pytest.raises(control.ControlError, match="runs outside the lab"):
            action(stack, "fake-openai")


def test_a_key_read_from_the_environment_is_written_only_to_the_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api_key_env: the key goes to the stack's 0600 key file; stack.json holds its id."""
    monkeypatch.setenv("STAGING_SECRET_KEY", "sk-from-the-environment-123")
    path = _file(
        tmp_path, TARGETS.replace('api_key = "sk-staging"', 'api_key_env = "STAGING_SECRET_KEY"')
    )
    stack_dir = tmp_path / "stack"
    describe("v1", path, stack_dir=stack_dir)
    holding = [p.name for p in stack_dir.rglob("*") if b"sk-from-the-environment" in p.read_bytes()]
    assert holding == ["keys.txt"]
    assert stat.S_IMODE((stack_dir / "keys.txt").stat().st_mode) == 0o600
    stack = read_stack(stack_dir)
    assert stack.api_key.startswith("sha256:")
    assert stack_keys(stack)[0] == "sk-from-the-environment-123"
