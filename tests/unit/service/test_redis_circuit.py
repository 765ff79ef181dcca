"""The Redis short circuit: open after an outage, one probe after the cool-down."""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from service.adapters.redis.circuit import RedisCircuit, is_outage


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_closed_circuit_allows_every_command() -> None:
    """A circuit that saw no failure lets commands through and skips none."""
    circuit = RedisCircuit(clock=_Clock())
    assert all(circuit.allow() for _ in range(5))
    assert circuit.skipped == 0


def test_failure_skips_commands_for_the_cooldown() -> None:
    """After a failure, commands are refused until the cool-down ends, and counted."""
    clock = _Clock()
    circuit = RedisCircuit(cooldown_seconds=1.0, clock=clock)
    circuit.failure()
    clock.now += 0.9
    assert not circuit.allow()
    assert not circuit.allow()
    assert circuit.skipped == 2
    assert circuit.opened == 1


def test_after_the_cooldown_one_probe_passes() -> None:
    """After the cool-down exactly one command probes; the others wait for its outcome."""
    clock = _Clock()
    circuit = RedisCircuit(cooldown_seconds=1.0, clock=clock)
    circuit.failure()
    clock.now += 1.0
    assert circuit.allow()
    assert not circuit.allow()


def test_probe_success_closes_and_failure_reopens() -> None:
    """A successful probe closes the circuit; a failed one opens it for another cool-down."""
    clock = _Clock()
    circuit = RedisCircuit(cooldown_seconds=1.0, clock=clock)
    circuit.failure()
    clock.now += 1.0
    assert circuit.allow()
    circuit.failure()
    clock.now += 0.5
    assert not circuit.allow()
    clock.now += 0.5
    assert circuit.allow()
    circuit.success()
    assert not circuit.is_open
    assert circuit.allow()
    assert circuit.allow()


def test_cancelled_probe_lets_the_next_command_probe() -> None:
    """A probe that ended without an outcome does not keep the circuit shut for good."""
    clock = _Clock()
    circuit = RedisCircuit(cooldown_seconds=1.0, clock=clock)
    circuit.failure()
    clock.now += 1.0
    assert circuit.allow()
    circuit.release()
    assert circuit.allow()


def test_only_timeouts_and_connection_errors_are_outages() -> None:
    """Timeouts and refused connections open the circuit; a command's own error does not."""
    assert is_outage(RedisTimeoutError("slow"))
    assert is_outage(RedisConnectionError("refused"))
    assert is_outage(ConnectionRefusedError())
    assert not is_outage(ResponseError("WRONGTYPE"))
