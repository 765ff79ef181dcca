"""The service's one error hierarchy. Adapters turn vendor exceptions into these;
``service.api.errors`` maps them to HTTP (problem+json) in one function."""

from __future__ import annotations

__all__ = [
    "AllProvidersFailed",
    "BadRequest",
    "DependencyUnavailable",
    "Draining",
    "DuplicateRequest",
    "NotFound",
    "PersistOutcomeUnknown",
    "ProviderError",
    "RateLimited",
    "ServiceError",
    "StreamInterrupted",
    "Unauthorized",
]


class ServiceError(Exception):
    """Base of every error the service raises on purpose."""

    title = "Service error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(ServiceError):
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class Unauthorized(ServiceError):
    title = "Unauthorized"


class NotFound(ServiceError):
    title = "Not found"


class RateLimited(ServiceError):
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: float, limit: int, reset_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.limit = limit
        self.reset_after = reset_after


class DependencyUnavailable(ServiceError):
    """A dependency (redis, store) failed and its policy is fail-closed."""

    title = "Dependency unavailable"

    def __init__(self, detail: str, *, dependency: str) -> None:
        super().__init__(detail)
        self.dependency = dependency


class DuplicateRequest(ServiceError):
    """A store refused a write because its idempotency key is already stored (a
    concurrent retry won the race); the domain answers with the stored reply."""

    title = "Duplicate request"


class PersistOutcomeUnknown(DependencyUnavailable):
    """Storing a turn failed in a way that may have committed: the client cannot know
    whether its turns are stored (a retry with the same ``Idempotency-Key`` is safe)."""

    outcome = "unknown"


class Draining(ServiceError):
    title = "Service is shutting down"


class ProviderError(ServiceError):
    """One failed attempt at one provider.

    ``kind`` is a low-cardinality label: ``timeout``, ``connect``, ``rate_limit``,
    ``server``, ``overloaded``, ``bad_request``, ``auth``, ``not_found``,
    ``context_length``, ``stream``, ``protocol``.
    """

    title = "Provider error"

    def __init__(
        self,
        detail: str,
        *,
        provider: str,
        kind: str,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.provider = provider
        self.kind = kind
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class AllProvidersFailed(ServiceError):
    """Every provider of the chain failed or was skipped (breaker open, deadline)."""

    title = "Upstream providers unavailable"

    def __init__(self, detail: str, *, errors: tuple[ProviderError, ...] = ()) -> None:
        super().__init__(detail)
        self.errors = errors

    @property
    def client_error(self) -> ProviderError | None:
        """The non-retryable error to pass to the caller (e.g. context length), if any."""
        for error in self.errors:
            if not error.retryable:
                return error
        return None


class StreamInterrupted(ServiceError):
    """A stream failed after its first token; it cannot fail over."""

    title = "Stream interrupted"

    def __init__(
        self, detail: str, *, provider: str | None = None, kind: str | None = None
    ) -> None:
        super().__init__(detail)
        self.provider = provider
        """The provider the stream had committed to, when known."""
        self.kind = kind
        """The ``ProviderError.kind`` that ended the stream, when known."""
