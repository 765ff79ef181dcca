"""A short circuit per Redis client: after an outage, skip Redis for a cool-down.

A Redis that accepts connections and never answers costs every command its socket
timeout. Under a fail-open policy that would make every request slower by a timeout
per Redis command, although the answer (carry on without Redis) is known. The circuit
remembers the outage instead: after a timeout or a connection failure it is *open* for
``cooldown_seconds``, and commands are refused at once (the adapters raise
``DependencyUnavailable``, so each caller's failure policy still applies and is
counted). After the cool-down one command is let through as a probe: its success
closes the circuit, its failure opens it for another cool-down; commands arriving while
the probe is in flight are refused. A readiness ``PING`` (``ping_redis``) always reaches
Redis and reports to the circuit as well.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["RedisCircuit", "is_outage", "redis_circuit", "register_circuit"]


class RedisCircuit:
    """Closed (commands pass), open (refused until the cool-down ends), then one probe.

    ``skipped`` counts the commands refused; ``opened`` the outages seen. Single event
    loop, no awaits inside: no locking needed.
    """

    def __init__(
        self,
        *,
        cooldown_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cooldown_seconds < 0:
            raise ValueError("cooldown_seconds must not be negative")
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._open_until: float | None = None
        self._probing = False
        self.skipped = 0
        self.opened = 0

    @property
    def is_open(self) -> bool:
        """``True`` while an outage is remembered (cool-down or probe in flight)."""
        return self._open_until is not None

    def allow(self) -> bool:
        """Whether a command may go to Redis now; a refusal is counted in ``skipped``."""
        if self._open_until is None:
            return True
        if not self._probing and self._clock() >= self._open_until:
            self._probing = True
            return True
        self.skipped += 1
        return False

    def success(self) -> None:
        """Redis answered: close the circuit."""
        self._open_until = None
        self._probing = False

    def failure(self) -> None:
        """Redis timed out or refused: open the circuit for a cool-down from now."""
        if self._open_until is None:
            self.opened += 1
        self._open_until = self._clock() + self.cooldown_seconds
        self._probing = False

    def release(self) -> None:
        """A command ended without an outcome (cancelled): the next one may probe."""
        self._probing = False


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means Redis is unreachable or silent (not a command's own error)."""
    return isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError | TimeoutError)


_CIRCUITS: weakref.WeakKeyDictionary[Redis, RedisCircuit] = weakref.WeakKeyDictionary()


def register_circuit(client: Redis, circuit: RedisCircuit) -> None:
    """Make ``circuit`` the one every adapter on ``client`` uses."""
    _CIRCUITS[client] = circuit


def redis_circuit(client: Redis) -> RedisCircuit:
    """The circuit of ``client`` (a default one for a client built elsewhere)."""
    circuit = _CIRCUITS.get(client)
    if circuit is None:
        circuit = _CIRCUITS[client] = RedisCircuit()
    return circuit
