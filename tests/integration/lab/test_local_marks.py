"""The local backend gives each provider fake a request log and its own output mark (the
stack is planned, not started: free loopback ports are picked, nothing runs)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from lab.phases import ProviderSpec, get_phase
from lab.servers import FakeLLMServer
from lab.stack.errors import StackError
from lab.stack.local import MAX_PROVIDERS, LocalStack


def test_each_fake_logs_to_its_workdir_and_marks_with_its_index(tmp_path: Path) -> None:
    """Provider ``index`` is its mark; ``request_log`` is ``parts/fake-<name>/requests.jsonl``;
    both reach the fake's command and the component's ``extra`` beside ``base_url``."""
    stack = LocalStack(get_phase("v3"), stack_dir=tmp_path)
    providers = [c for c in stack.components() if c.kind == "provider"]
    assert len(providers) == 3
    for component in providers:
        part = stack.parts[component.name]
        fake = part.server
        assert isinstance(fake, FakeLLMServer)
        log = tmp_path.resolve() / "parts" / component.name / "requests.jsonl"
        assert component.extra == {
            "base_url": fake.base_url,
            "mark": component.index,
            "request_log": str(log),
            "profile": fake.profile,
        }
        command = fake.command()
        assert command[command.index("--mark") + 1] == str(component.index)
        assert command[command.index("--request-log") + 1] == str(log)
    assert sorted(c.extra["mark"] for c in providers) == [1, 2, 3]


def test_more_providers_than_marks_is_refused(tmp_path: Path) -> None:
    """A phase with 16 providers is a one-line StackError naming the limit."""
    many = tuple(ProviderSpec(name=f"p{n}", vendor="openai") for n in range(MAX_PROVIDERS + 1))
    phase = msgspec.structs.replace(get_phase("v1"), providers=many)
    with pytest.raises(StackError, match=r"16 providers.*15 at most") as caught:
        LocalStack(phase, stack_dir=tmp_path)
    assert "\n" not in str(caught.value)
