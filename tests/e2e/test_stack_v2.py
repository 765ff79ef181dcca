"""Phase V2 on the local backend: two replicas behind HAProxy, not supervised; two
providers with failover."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lab.stack import control, down, status
from lab.stack.processes import token_header
from rundir import ProcessControl, Stack, read_stack
from tests.e2e.stack import bring_up, chat, leftovers, wait_targets_up

# A whole stack starts in the module's first test: bound it for a busy 2-core machine.
pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from bring_up("v2", tmp_path_factory.mktemp("v2"))


def test_a_chat_through_haproxy_is_answered_by_a_fake(stack: Stack) -> None:
    """The front door is HAProxy; the chat is answered by the fake OpenAI."""
    assert stack.front_door == stack.component("haproxy").url
    response = chat(stack)
    assert response.status_code == 200, response.text
    assert response.json()["provider"] == "openai"


def test_a_provider_outage_fails_over_to_the_second_provider(stack: Stack) -> None:
    """With the fake OpenAI answering 503, the chat is answered by Anthropic."""
    fake = stack.component("fake-openai")
    fault = {"errors": {"rate": 1.0, "mix": {"503": 1}}}
    assert (
        httpx.put(
            f"{fake.admin_url}/faults", json=fault, timeout=5, headers=token_header(stack)
        ).status_code
        == 200
    )
    try:
        response = chat(stack, "during the outage")
    finally:
        httpx.delete(f"{fake.admin_url}/faults", timeout=5, headers=token_header(stack))
    assert response.status_code == 200, response.text
    assert response.json()["provider"] == "anthropic"


def test_every_prometheus_target_is_a_stack_part_and_up(stack: Stack) -> None:
    """Targets = components with a metrics URL, and all are up."""
    targets = wait_targets_up(stack)
    seen = {(t["labels"]["job"], t["labels"]["instance"]) for t in targets}
    assert seen == {(c.kind, c.name) for c in stack.components if c.metrics_url}
    assert all(t["health"] == "up" for t in targets)


def test_an_unsupervised_killed_replica_stays_down_until_restarted(stack: Stack) -> None:
    """V2 does not supervise: a killed replica stays down (requests still succeed on the
    other), and control.restart() from this process brings it back through the
    supervisor's control channel with a new pid."""
    before = read_stack(Path(stack.stack_dir)).component("replica-2").control
    assert isinstance(before, ProcessControl)
    control.kill(stack, "replica-2")
    time.sleep(1.5)
    states = {row.name: row.state for row in status(Path(stack.stack_dir))}
    assert states["replica-2"] == "down"
    assert [chat(stack, f"n{n}").status_code for n in range(6)] == [200] * 6
    part = control.restart(stack, "replica-2")
    assert isinstance(part.control, ProcessControl)
    assert part.control.pid != before.pid
    assert httpx.get(f"{part.url}/v1/ready", timeout=5).status_code == 200


def test_down_leaves_no_process_and_no_port(stack: Stack) -> None:
    """down() stops everything and frees every port (last test: stops the shared stack)."""
    run_dir = Path(stack.stack_dir)
    down(run_dir)
    processes, ports = leftovers(read_stack(run_dir))
    assert processes == []
    assert ports == []
