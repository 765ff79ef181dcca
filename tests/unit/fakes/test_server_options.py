"""``FakeLLMServer`` refuses options the fake would refuse, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.servers import FakeLLMServer


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"models": []}, "name at least one model"),
        ({"models": [" "]}, "name at least one model"),
        ({"models": ["a,b"]}, "cannot contain ','"),
        ({"header_timeout_s": 0}, "header_timeout_s must be more than 0"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    """An empty model list, a name with ',' or a header timeout of 0 is a ValueError."""
    with pytest.raises(ValueError, match=message):
        FakeLLMServer("openai", **options)  # type: ignore[arg-type]


def test_options_become_command_flags(tmp_path: Path) -> None:
    """models and header_timeout_s reach the command line of the fake."""
    fake = FakeLLMServer(
        "anthropic", models=["claude-a", "*"], header_timeout_s=2.5, workdir=tmp_path
    )
    command = fake.command()
    assert command[command.index("--models") + 1] == "claude-a,*"
    assert command[command.index("--header-timeout") + 1] == "2.5"


@pytest.mark.parametrize("mark", [-1, 16, True])
def test_a_mark_outside_0_to_15_is_refused(mark: int) -> None:
    """``FakeLLMServer(mark=16)`` is a ValueError before anything starts."""
    with pytest.raises(ValueError, match="mark must be an integer from 0 to 15"):
        FakeLLMServer("openai", mark=mark)


def test_request_log_and_mark_become_command_flags(tmp_path: Path) -> None:
    """request_log (made absolute) and mark reach the command line of the fake."""
    fake = FakeLLMServer(
        "openai", request_log=tmp_path / "requests.jsonl", mark=3, workdir=tmp_path
    )
    command = fake.command()
    assert command[command.index("--request-log") + 1] == str(tmp_path / "requests.jsonl")
    assert command[command.index("--mark") + 1] == "3"
