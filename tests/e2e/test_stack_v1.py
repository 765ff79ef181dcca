"""Phase V1 on the local backend: one replica, one provider, everything through the proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lab.stack import status
from rundir import Stack, read_stack
from tests.e2e.stack import bring_up, chat, leftovers, query, wait_targets_up

# A whole stack starts in the module's first test: bound it for a busy 2-core machine.
pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from bring_up("v1", tmp_path_factory.mktemp("v1"))


def test_a_chat_through_the_front_door_is_answered_by_the_fake(stack: Stack) -> None:
    """POST /v1/chat at the front door is answered by the fake OpenAI, reached through
    the replica's own proxy route."""
    response = chat(stack)
    assert response.status_code == 200, response.text
    assert response.json()["provider"] == "openai"
    fake = stack.component("fake-openai")
    metrics = httpx.get(str(fake.metrics_url), timeout=5).text
    assert "fake_llm_requests_total" in metrics
    proxies = {route.name for route in stack.proxies}
    assert proxies == {"replica-1.redis", "replica-1.store", "replica-1.openai"}


def test_the_front_door_is_the_one_replica(stack: Stack) -> None:
    """V1 has no load balancer: the front door is replica-1 itself."""
    assert stack.front_door == stack.component("replica-1").url
    assert not stack.of_kind("haproxy")


def test_prometheus_scrapes_exactly_the_parts_with_metrics_and_all_are_up(stack: Stack) -> None:
    """Prometheus's targets are exactly the components of stack.json that have a
    metrics URL (job = kind, instance = name), and every one is up."""
    targets = wait_targets_up(stack)
    seen = {(t["labels"]["job"], t["labels"]["instance"]) for t in targets}
    expected = {(c.kind, c.name) for c in stack.components if c.metrics_url}
    assert seen == expected
    assert all(t["health"] == "up" for t in targets), [t["lastError"] for t in targets]


def test_targets_announced_in_the_scrape_dir_are_scraped(stack: Stack) -> None:
    """A file_sd entry dropped into RUN/scrape/ (what the load generator and the runner
    write) is scraped within seconds under the job its entry names."""
    import json
    import time

    fake = stack.component("fake-openai")
    address = str(fake.url).removeprefix("http://")
    entry = [{"targets": [address], "labels": {"job": "chaoslab-load", "worker": "w1"}}]
    path = Path(stack.stack_dir) / "scrape" / "w1.json"
    path.write_text(json.dumps(entry), encoding="utf-8")
    try:
        deadline = time.monotonic() + 30
        found: list[dict[str, object]] = []
        while time.monotonic() < deadline and not found:
            found = query(stack, 'up{job="chaoslab-load", worker="w1"} == 1')["data"]["result"]
            time.sleep(0.5)
        assert found
    finally:
        path.unlink()


def test_status_reports_every_component_up(stack: Stack) -> None:
    """status() reads stack.json and sees every process alive."""
    rows = status(Path(stack.stack_dir))
    assert {row.name for row in rows} == {c.name for c in stack.components}
    assert all(row.state == "up" for row in rows), rows


def test_down_leaves_no_process_and_no_port(stack: Stack) -> None:
    """down() stops every process of the stack and frees every port; a second down is a
    no-op. (Last test of the module: it stops the shared stack.)"""
    from lab.stack import down

    run_dir = Path(stack.stack_dir)
    down(run_dir)
    processes, ports = leftovers(read_stack(run_dir))
    assert processes == []
    assert ports == []
    down(run_dir)


def test_every_log_named_in_stack_json_outlives_down(stack: Stack) -> None:
    """After down, each component's log (PostgreSQL's too, whose data dir is gone) is
    still where stack.json says."""
    logs = {part.name: part.log for part in read_stack(Path(stack.stack_dir)).components}
    missing = [name for name, log in logs.items() if log and not Path(log).is_file()]
    assert missing == []
    assert logs["postgres"] is not None
    assert Path(logs["postgres"]).is_relative_to(Path(stack.stack_dir).resolve())
