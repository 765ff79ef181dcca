"""Phase V4 on the local backend: two regions of two replicas, region failover at the
front door, a streaming-replication standby promoted when the primary's region goes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from lab.stack import control, down
from rundir import Stack, read_stack, stack_keys
from tests.e2e.stack import bring_up, chat, leftovers, wait_targets_up

# A whole stack starts in the module's first test: bound it for a busy 2-core machine.
pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from bring_up("v4", tmp_path_factory.mktemp("v4"))


def _on_standby(stack: Stack, conversation_id: str) -> bool:
    async def count() -> int:
        conn = await asyncpg.connect(str(stack.component("postgres-standby").url), timeout=5)
        try:
            found = await conn.fetchval(
                "SELECT count(*) FROM conversations WHERE id = $1::uuid", conversation_id
            )
            return int(found)
        finally:
            await conn.close()

    try:
        return asyncio.run(count()) == 1
    except (OSError, asyncpg.PostgresError):
        return False


def test_the_topology_has_two_regions(stack: Stack) -> None:
    """Replicas 1-2 and Redis a, the primary in region a; replicas 3-4, Redis b and the
    standby in region b; a chat through the front door is answered by a fake."""
    regions = {c.name: c.region for c in stack.components if c.region}
    assert regions == {
        "replica-1": "a", "replica-2": "a", "replica-3": "b", "replica-4": "b",
        "redis-a": "a", "redis-b": "b", "postgres": "a", "postgres-standby": "b",
    }  # fmt: skip
    response = chat(stack)
    assert response.status_code == 200, response.text
    assert len(stack.of_kind("provider")) == 4


def test_every_prometheus_target_is_a_stack_part_and_up(stack: Stack) -> None:
    """Targets = components with a metrics URL, all up."""
    targets = wait_targets_up(stack)
    seen = {(t["labels"]["job"], t["labels"]["instance"]) for t in targets}
    assert seen == {(c.kind, c.name) for c in stack.components if c.metrics_url}
    assert all(t["health"] == "up" for t in targets)


def test_region_down_fails_over_and_keeps_conversations(stack: Stack) -> None:
    """Kill every process of region a (replicas, Redis, the primary): the front door
    moves to region b, the supervisor promotes the standby and repoints every store
    proxy, and a conversation written before the failover is read after it."""
    headers = {"authorization": f"Bearer {stack_keys(stack)[0]}"}
    first = chat(stack, "remember the oak tree")
    assert first.status_code == 200, first.text
    conversation = first.json()["conversation_id"]
    deadline = time.monotonic() + 15
    while not _on_standby(stack, conversation) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _on_standby(stack, conversation), "the standby never received the conversation"

    for part in stack.components:
        if part.region == "a":
            control.kill(stack, part.name)
    url = f"{stack.front_door}/v1/conversations/{conversation}"
    deadline = time.monotonic() + 120
    status = 0
    while time.monotonic() < deadline and status != 200:
        try:
            status = httpx.get(url, headers=headers, timeout=5).status_code
        except httpx.HTTPError:
            status = 0
        time.sleep(0.3)
    assert status == 200
    turns = httpx.get(url, headers=headers, timeout=5).json()["turns"]
    assert turns[0]["content"] == "remember the oak tree"
    after = read_stack(Path(stack.stack_dir))
    assert after.component("postgres-standby").kind == "store"
    assert {r.component for r in after.proxies if r.role == "store"} == {"postgres-standby"}
    assert chat(stack, "after the failover").status_code == 200


def test_down_leaves_no_process_and_no_port(stack: Stack) -> None:
    """down() stops everything, promoted standby included, and frees every port."""
    run_dir = Path(stack.stack_dir)
    down(run_dir)
    processes, ports = leftovers(read_stack(run_dir))
    assert processes == []
    assert ports == []
