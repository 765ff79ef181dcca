"""The injector against real components: each action takes effect, and is undone."""

from __future__ import annotations

import time
from pathlib import Path

import msgspec

from fakes.llm.client import FakeAdmin
from lab.faults.toxiproxy import ToxiproxyClient
from rundir import read_events
from scenarios.injector import Injector, revert_open_faults
from scenarios.model import Scenario, dec_hook
from tests.integration.experiments.conftest import MiniStack


def _scenario(*faults: dict[str, object]) -> Scenario:
    data = {"title": "t", "hypothesis": "h", "teaches": "x", "load": {"duration": 60},
            "faults": list(faults)}  # fmt: skip
    return msgspec.convert(data, Scenario, dec_hook=dec_hook)


def _toxics(mini: MiniStack) -> dict[str, list[str]]:
    assert mini.stack.proxy_api is not None
    with ToxiproxyClient(mini.stack.proxy_api) as client:
        return {name: list(p.toxics()) for name, p in client.proxies().items()}


def _wait_state(mini: MiniStack, pid: int | None, want: str) -> str:
    state = ""
    for _ in range(100):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if (state == "T") == (want == "T"):
            return state
        time.sleep(0.05)
    return state


def test_toxic_is_listed_during_and_gone_after(mini_stack: MiniStack, tmp_path: Path) -> None:
    """A latency toxic on `cache` sits on the Redis route during its window, then is gone."""
    scenario = _scenario(
        {
            "at": 0,
            "duration": 1,
            "target": "cache",
            "action": "latency",
            "attributes": {"latency": 100},
        }
    )
    with Injector(mini_stack.stack, scenario, run_dir=tmp_path) as injector:
        injector.tick(0.0)
        assert _toxics(mini_stack)["replica-1.redis"] == ["chaoslab-fault-1"]
        injector.tick(1.5)
        assert _toxics(mini_stack)["replica-1.redis"] == []
    events = read_events(tmp_path)
    assert [e.kind for e in events] == ["fault_start", "check", "fault_end"]
    assert events[1].detail["took_effect"] is True


def test_fake_fault_is_set_then_cleared(mini_stack: MiniStack, tmp_path: Path) -> None:
    """A fake outage on the primary provider is in force during its window, gone after."""
    scenario = _scenario(
        {
            "at": 0,
            "duration": 1,
            "target": "primary-provider",
            "action": "fake",
            "faults": {"outage": {"mode": "status", "status": 503}},
        }
    )
    fake = mini_stack.fakes["openai"]
    with Injector(mini_stack.stack, scenario, run_dir=tmp_path) as injector:
        injector.tick(0.0)
        with FakeAdmin(fake.admin_url) as admin:
            assert admin.get_faults()["outage"]["status"] == 503
    with FakeAdmin(fake.admin_url) as admin:
        assert "outage" not in admin.get_faults()


def test_freeze_stops_the_process_and_close_resumes_it(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """freeze puts provider 2 in state T; closing the injector resumes it."""
    scenario = _scenario({"at": 0, "target": "provider:2", "action": "freeze"})
    pid = mini_stack.fakes["anthropic"].pid
    try:
        with Injector(mini_stack.stack, scenario, run_dir=tmp_path) as injector:
            injector.tick(0.0)
            assert _wait_state(mini_stack, pid, "T") == "T"
            check = next(e for e in read_events(tmp_path) if e.kind == "check")
            assert check.detail["took_effect"] is True
        assert _wait_state(mini_stack, pid, "S") != "T"
    finally:
        mini_stack.resume_all()


def test_disable_refuses_connections_and_is_reenabled(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """disable turns a route off during the window and on again at its end."""
    scenario = _scenario({"at": 0, "duration": 1, "target": "cache", "action": "disable"})
    assert mini_stack.stack.proxy_api is not None
    with ToxiproxyClient(mini_stack.stack.proxy_api) as client:
        with Injector(mini_stack.stack, scenario, run_dir=tmp_path) as injector:
            injector.tick(0.0)
            assert client.get_proxy("replica-1.redis").enabled is False  # type: ignore[union-attr]
        assert client.get_proxy("replica-1.redis").enabled is True  # type: ignore[union-attr]


def test_exception_mid_run_still_rolls_back(mini_stack: MiniStack, tmp_path: Path) -> None:
    """An exception inside the run undoes the active fault on the way out."""
    scenario = _scenario({"at": 0, "target": "cache", "action": "latency"})
    try:
        with Injector(mini_stack.stack, scenario, run_dir=tmp_path) as injector:
            injector.tick(0.0)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert _toxics(mini_stack)["replica-1.redis"] == []
    assert read_events(tmp_path)[-1].detail["how"] == "error"


def test_open_fault_of_a_dead_runner_is_reverted_later(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """A fault started and never ended (the runner died) is undone by revert_open_faults."""
    scenario = _scenario({"at": 0, "target": "cache", "action": "latency"})
    injector = Injector(mini_stack.stack, scenario, run_dir=tmp_path)
    injector.tick(0.0)  # ... and the runner "dies": no close()
    assert _toxics(mini_stack)["replica-1.redis"] == ["chaoslab-fault-1"]
    assert revert_open_faults(tmp_path, stack=mini_stack.stack) == [f"{tmp_path.name}:fault-1"]
    assert _toxics(mini_stack)["replica-1.redis"] == []
    assert revert_open_faults(tmp_path, stack=mini_stack.stack) == []  # idempotent
