"""The external backend with the lab's own Prometheus: it scrapes the parts the file
lists (and the load generator, via RUN/scrape), and `down` stops only what the lab
started."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.servers import FakeLLMServer
from lab.stack import StackError, control, down, up
from rundir import NoControl, Stack
from tests.e2e.stack import leftovers, prometheus_targets
from tests.fixtures.servers import skip_unless_required

# A whole stack starts in the module's first test: bound it for a busy 2-core machine.
pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[FakeLLMServer]:
    """A server the lab did not start: it plays the external stack."""
    fake = FakeLLMServer("openai")
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def stack(elsewhere: FakeLLMServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("external")
    targets = tmp / "staging.toml"
    targets.write_text(
        f"""front_door = "{elsewhere.admin_url}"
api_key = "sk-staging"
max_rps = 4

[[components]]
name = "fake-openai"
kind = "provider"
url = "{elsewhere.admin_url}"
admin_url = "{elsewhere.admin_url}/_fake"
metrics_url = "{elsewhere.admin_url}/metrics"
provider = "openai"
vendor = "openai"
""",
        encoding="utf-8",
    )
    run_dir = tmp / "run"
    try:
        stack = up("v2", backend="external", stack_dir=run_dir, external_file=targets)
    except StackError as error:
        if "not found on PATH" in str(error):
            skip_unless_required("prometheus", str(error))
        raise
    try:
        yield stack
    finally:
        down(run_dir)


def test_the_labs_prometheus_scrapes_the_external_parts(stack: Stack) -> None:
    """prometheus_url is the lab's own; it scrapes the file's component with a metrics
    URL (job provider, instance fake-openai) and is up."""
    assert stack.backend == "external"
    assert stack.phase_config["external"]["max_rps"] == 4
    deadline = time.monotonic() + 30
    wanted = {
        ("provider", "fake-openai"),
        ("prometheus", "prometheus"),
        ("supervisor", "supervisor"),
    }
    up_targets: set[tuple[str, str]] = set()
    while time.monotonic() < deadline and not wanted <= up_targets:
        up_targets = {
            (t["labels"]["job"], t["labels"]["instance"])
            for t in prometheus_targets(stack)
            if t["health"] == "up"
        }
        time.sleep(0.5)
    assert wanted <= up_targets


def test_external_parts_cannot_be_controlled(stack: Stack) -> None:
    """The file's parts have NoControl: kill is refused."""
    assert isinstance(stack.component("fake-openai").control, NoControl)
    with pytest.raises(control.ControlError, match="runs outside the lab"):
        control.kill(stack, "fake-openai")


def test_down_stops_only_what_the_lab_started(stack: Stack, elsewhere: FakeLLMServer) -> None:
    """down stops the lab's Prometheus and supervisor; the external server keeps running."""
    down(Path(stack.stack_dir))
    processes, ports = leftovers(stack)
    assert processes == []
    assert ports == [elsewhere.address] * len(ports)
    assert elsewhere.probe()
