"""The SPOF probe plan comes from the stack's components, and each probe is a valid scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.loader import load_scenario
from scenarios.probes import load_toml, probe_toml, spof_probes
from scenarios.targets import TargetError, check_scenario, resolve
from tests.fixtures.phase_stacks import phase_stack

ROOT = Path(__file__).resolve().parents[3]


def _kinds(phase: str) -> list[tuple[str, str]]:
    return [(p.kind, p.target) for p in spof_probes(phase_stack(phase))]


def test_v1_probes_its_replica_provider_cache_and_store() -> None:
    """V1 has no load balancer and one region: four probes."""
    assert _kinds("v1") == [("replica", "replica:1"), ("provider", "provider:openai"),
                            ("cache", "cache"), ("store", "store")]  # fmt: skip


def test_v3_probes_each_replica_and_each_provider_and_the_load_balancer() -> None:
    """Every replica and provider is its own probe; HAProxy is probed; no region (one)."""
    kinds = _kinds("v3")
    assert [t for k, t in kinds if k == "replica"] == ["replica:1", "replica:2", "replica:3"]
    assert [t for k, t in kinds if k == "provider"] == [
        "provider:openai", "provider:anthropic", "provider:openai-2"
    ]  # fmt: skip
    assert ("load-balancer", "load-balancer") in kinds
    assert not [k for k, _ in kinds if k == "region"]


def test_v4_probes_four_replicas_and_region_a_last() -> None:
    """V4: 4 replicas across two regions, the store before the region, the region last."""
    probes = spof_probes(phase_stack("v4"))
    assert sum(p.kind == "replica" for p in probes) == 4
    assert [p.kind for p in probes][-2:] == ["store", "region"]
    assert probes[-1].target == "region:a"
    assert probes[-1].action == "region-down"


def test_the_load_balancer_role_resolves_to_haproxy_and_v1_has_none() -> None:
    """load-balancer is HAProxy; on V1 (no HAProxy) it is one line naming why."""
    assert [c.name for c in resolve(phase_stack("v2"), "load-balancer").components] == ["haproxy"]
    with pytest.raises(TargetError, match="no load balancer"):
        resolve(phase_stack("v1"), "load-balancer")


@pytest.mark.parametrize("phase", ["v1", "v2", "v3", "v4"])
def test_every_probe_is_a_scenario_the_loader_and_the_stack_accept(
    phase: str, tmp_path: Path
) -> None:
    """Each generated probe file validates and the phase's stack can play it."""
    stack = phase_stack(phase)
    for number, probe in enumerate(spof_probes(stack)):
        path = tmp_path / f"p{number}.toml"
        path.write_text(probe_toml(probe, phase=phase, duration=30, rate=5, timeout=5))
        loaded = load_scenario(path).scenario
        check_scenario(loaded, stack)
        (fault,) = loaded.faults
        assert (fault.at, fault.duration) == (7.5, 15.0)
        assert loaded.load.arrival_rate == 5


def test_a_load_only_scenario_has_no_fault(tmp_path: Path) -> None:
    """Capacity's steps: the load at a rate, nothing else."""
    path = tmp_path / "step.toml"
    path.write_text(load_toml(title="t", hypothesis="h", teaches="x", duration=20, rate=12.5,
                              timeout=5))  # fmt: skip
    loaded = load_scenario(path).scenario
    assert loaded.faults == ()
    assert loaded.load.arrival_rate == 12.5


def test_a_phase_file_of_your_own_gets_its_own_map(tmp_path: Path) -> None:
    """A user's phase (1 replica in each of 2 regions, 2 providers): the probes follow its
    stack, not the shipped phases."""
    from lab.phases import load_phases
    from lab.stack.sketch import sketch

    text = (ROOT / "lab" / "phases.toml").read_text()
    start = text.index("[v4]")
    mine = tmp_path / "phases.toml"
    extra = (
        '  { name = "openai-2", vendor = "openai", profile = "small-hosted" },\n'
        '  { name = "anthropic-2", vendor = "anthropic", profile = "small-hosted-b" },\n'
    )
    mine.write_text(
        text[start:]
        .replace("[v4", "[mine")
        .replace(extra, "")
        .replace("replicas = 2", "replicas = 1")
    )
    phase = load_phases(mine)["mine"]
    kinds = [(p.kind, p.target) for p in spof_probes(sketch(phase))]
    assert [t for k, t in kinds if k == "replica"] == ["replica:1", "replica:2"]
    assert [t for k, t in kinds if k == "provider"] == ["provider:openai", "provider:anthropic"]
    assert ("region", "region:a") in kinds
