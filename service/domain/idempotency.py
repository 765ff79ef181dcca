"""``Idempotency-Key`` for chat turns: the key's rules, the request's fingerprint, and
the lookup of a stored reply (in the store, so it holds across replicas and restarts).

The same key with the same body gets the stored reply again (no provider call, no new
turns); with another body it is a ``BadRequest`` (422). Keys are scoped by user.
"""

from __future__ import annotations

import hashlib

import msgspec

from service.domain.errors import BadRequest, DependencyUnavailable
from service.domain.guards import Guards
from service.domain.ports import ConversationStore
from service.domain.types import IdempotentReply

__all__ = ["MAX_KEY_CHARS", "Idempotency", "checked_key", "fingerprint"]

MAX_KEY_CHARS = 255
_encoder = msgspec.msgpack.Encoder()


def checked_key(key: str) -> str:
    """The key when it is 1-255 printable ASCII characters; ``BadRequest`` else."""
    if not 0 < len(key) <= MAX_KEY_CHARS or not all(" " <= ch <= "~" for ch in key):
        raise BadRequest(
            f"must be 1 to {MAX_KEY_CHARS} printable ASCII characters (a UUID is typical)",
            field="Idempotency-Key",
        )
    return key


def fingerprint(body: tuple[object, ...]) -> str:
    """A stable digest of the request's fields: equal bodies, equal fingerprints."""
    return hashlib.sha256(_encoder.encode(body)).hexdigest()


class Idempotency:
    """Stored replies by ``(user, key)``, checked against the request's fingerprint."""

    def __init__(self, *, store: ConversationStore, guards: Guards) -> None:
        self.store = store
        self._guards = guards

    async def stored(self, user_id: str, key: str, digest: str) -> IdempotentReply | None:
        """The reply stored under the key (``None``: none, or the store is down under
        fail-open); ``BadRequest`` when it was stored for another body."""
        found = await self._guards.store(self.store.find_reply(user_id=user_id, key=key), None)
        if found is not None and found.fingerprint != digest:
            raise BadRequest(
                "Idempotency-Key was already used with a different request body; "
                "use a new key for a new request",
                field="Idempotency-Key",
            )
        return found

    async def winner(self, user_id: str, key: str, digest: str) -> IdempotentReply:
        """The reply a concurrent request with the same key stored first."""
        found = await self.stored(user_id, key, digest)
        if found is None:  # stored, then deleted with its conversation meanwhile
            raise DependencyUnavailable(
                "a concurrent request with this Idempotency-Key was stored, then deleted",
                dependency="store",
            )
        return found
