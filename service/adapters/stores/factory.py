"""Pick the conversation store from its URL's scheme."""

from __future__ import annotations

from urllib.parse import urlsplit

from service.adapters.stores.memory import MemoryConversationStore
from service.domain.ports import ConversationStore

__all__ = ["SCHEMES", "build_store"]

SCHEMES = ("postgresql", "postgres", "mongodb", "mongodb+srv", "memory")
"""URL schemes :func:`build_store` understands."""


def build_store(
    url: str,
    *,
    connect_timeout: float = 2.0,
    command_timeout: float = 5.0,
    max_connections: int = 10,
) -> ConversationStore:
    """The store for ``url``, not yet connected (each store connects on first use, so a
    service can start while its database is down; its ``ping()`` reports that).

    - ``postgresql://`` or ``postgres://``: :class:`PostgresConversationStore` (asyncpg);
    - ``mongodb://`` or ``mongodb+srv://``: :class:`MongoConversationStore` (beanie);
    - ``memory://``: :class:`MemoryConversationStore` (one process, nothing kept).

    The caller owns the store and closes it with ``await store.aclose()``. Raises
    ``ValueError`` naming the scheme when it is none of these.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("postgresql", "postgres"):
        from service.adapters.stores.postgres import PostgresConversationStore

        return PostgresConversationStore(
            url,
            connect_timeout=connect_timeout,
            command_timeout=command_timeout,
            max_connections=max_connections,
        )
    if scheme in ("mongodb", "mongodb+srv"):
        from service.adapters.stores.mongo import MongoConversationStore

        return MongoConversationStore(
            url,
            connect_timeout=connect_timeout,
            command_timeout=command_timeout,
            server_selection_timeout=connect_timeout,
            max_connections=max_connections,
        )
    if scheme == "memory":
        return MemoryConversationStore()
    raise ValueError(
        f"unsupported conversation store URL scheme {scheme!r}; expected one of {SCHEMES}"
    )
