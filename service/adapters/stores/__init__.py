"""Conversation stores: PostgreSQL (asyncpg), MongoDB (beanie) and in-memory adapters of
``service.domain.ports.ConversationStore``, chosen by URL with :func:`build_store`.

Each raises ``DependencyUnavailable(dependency="store")`` when its server cannot serve,
has ``ping()`` (never raises) and ``aclose()``. The Postgres and Mongo modules are imported
lazily by the factory, so using one driver never imports the other.
"""

from __future__ import annotations

from service.adapters.stores.factory import SCHEMES, build_store
from service.adapters.stores.memory import MemoryConversationStore

__all__ = ["SCHEMES", "MemoryConversationStore", "build_store"]
