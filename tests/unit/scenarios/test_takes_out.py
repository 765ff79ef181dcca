"""Which faults take their target out (a failover is due) and which only degrade it: the
shipped scenarios, and the share at which errors, hangs and toxics start to take out."""

from __future__ import annotations

import msgspec
import pytest

from scenarios.loader import load_scenario
from scenarios.model import Fault, dec_hook

OUT = {"provider-outage", "provider-freeze", "rate-limit-storm", "region-failover",
       "replica-crash", "replica-freeze", "redis-down", "redis-restart", "db-down",
       "network-partition"}  # fmt: skip
DEGRADED = {"provider-tail", "provider-brownout", "stream-interruption", "db-slow",
            "redis-latency"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(OUT | DEGRADED))
def test_each_shipped_fault_is_out_or_degraded(name: str) -> None:
    faults = load_scenario(name).scenario.faults
    assert faults
    assert all(f.takes_out == (name in OUT) for f in faults), [f.action for f in faults]


def _fault(**fields: object) -> Fault:
    return msgspec.convert({"at": "1s", "target": "primary-provider", **fields}, Fault,
                           dec_hook=dec_hook)  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "out"),
    [
        ({"action": "fake", "faults": {"errors": {"rate": 0.5, "mix": {"503": 1}}}}, True),
        ({"action": "fake", "faults": {"errors": {"rate": 0.49, "mix": {"503": 1}}}}, False),
        ({"action": "fake", "faults": {"hang": {"rate": 1.0}}}, True),
        ({"action": "fake", "faults": {"latency": {"ttft": {"dist": "fixed", "ms": 9000}}}}, False),
        ({"action": "timeout", "attributes": {"timeout": 0}}, True),
        ({"action": "timeout", "attributes": {"timeout": 0}, "toxicity": 0.2}, False),
        ({"action": "reset_peer"}, True),
        ({"action": "latency", "attributes": {"latency": 5000}}, False),
        ({"action": "bandwidth", "attributes": {"rate": 0}}, False),
    ],
    ids=["errors-half", "errors-below-half", "hang", "slow", "timeout", "timeout-fifth",
         "reset", "latency", "bandwidth"],
)  # fmt: skip
def test_the_share_that_takes_out(fields: dict[str, object], out: bool) -> None:
    assert _fault(**fields).takes_out is out
