"""Roles resolve through stack.json; a stack that lacks one is refused before the run."""

from __future__ import annotations

import pytest

from scenarios.loader import load_scenario
from scenarios.targets import TargetError, check_scenario, resolve
from tests.unit.scenarios.conftest import make_stack


def test_primary_provider_is_the_first_in_the_chain() -> None:
    """primary-provider is provider 1 with its routes on every replica."""
    stack = make_stack(replicas=2, providers=3)
    target = resolve(stack, "primary-provider")
    assert [c.name for c in target.components] == ["fake-openai"]
    assert {r.name for r in target.proxies} == {"replica-1.openai", "replica-2.openai"}


def test_provider_by_number_and_by_name() -> None:
    """provider:2 and provider:anthropic name the same provider."""
    stack = make_stack(providers=3)
    assert (
        resolve(stack, "provider:2").components == resolve(stack, "provider:anthropic").components
    )


def test_cache_role_covers_every_replica_route() -> None:
    """cache means Redis as each replica reaches it."""
    stack = make_stack(replicas=3)
    assert len(resolve(stack, "cache").proxies) == 3


def test_replica_partition_takes_all_of_its_routes() -> None:
    """replica:2 resolves to every route that replica's traffic uses."""
    stack = make_stack(replicas=2, providers=2)
    names = {r.name for r in resolve(stack, "replica:2").proxies}
    assert names == {
        "replica-2.redis",
        "replica-2.store",
        "replica-2.openai",
        "replica-2.anthropic",
    }


def test_region_failover_refused_on_one_region() -> None:
    """region-failover on a single-region stack names the missing region."""
    with pytest.raises(TargetError, match=r"region:a.*|has a"):
        check_scenario(load_scenario("region-failover").scenario, make_stack(regions=("x",)))


def test_second_provider_refused_on_v1() -> None:
    """provider:2 on a one-provider stack says how many providers it has."""
    with pytest.raises(TargetError, match="has 1 provider"):
        resolve(make_stack(providers=1), "provider:2")


def test_freeze_refused_on_external_stack() -> None:
    """A freeze needs a process the lab controls; external stacks refuse it."""
    scenario = load_scenario("provider-freeze").scenario
    with pytest.raises(TargetError, match="cannot be controlled on the external backend"):
        check_scenario(scenario, make_stack(providers=2, external=True))


def test_every_single_region_scenario_fits_a_v3_like_stack() -> None:
    """Every shipped scenario but region-failover has its roles on 3 replicas/3 providers."""
    from scenarios.loader import list_scenarios

    stack = make_stack(replicas=3, providers=3)
    for name in list_scenarios():
        if name != "region-failover":
            check_scenario(load_scenario(name).scenario, stack)
    check_scenario(
        load_scenario("region-failover").scenario, make_stack(replicas=2, regions=("a", "b"))
    )
