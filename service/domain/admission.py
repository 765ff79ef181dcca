"""Admission: per-key rate limiting with its failure policy.

``Admission.admit`` counts one request against the caller's tier. A denied request
raises ``RateLimited`` (429 with ``Retry-After`` and ``RateLimit-*``). When the limiter's
backend is down, ``fail-open`` admits without a decision and ``fail-closed`` raises
``DependencyUnavailable`` (503); either choice is reported.

``PendingAdmission`` is one request's admission decided later, once, by whoever needs it
first: the chat domain decides it in the same Redis round trip as the response-cache
lookup (see ``ChatService.complete``), and the HTTP layer decides it when the response
starts if nothing did before (a request refused as invalid is still counted).
"""

from __future__ import annotations

from service.domain.errors import DependencyUnavailable, RateLimited, ServiceError
from service.domain.policy import ChatObserver, FailurePolicy, NoopChatObserver
from service.domain.ports import RateLimiter
from service.domain.types import RateLimitDecision, User

__all__ = ["Admission", "PendingAdmission"]


class Admission:
    """Rate limiting of authenticated callers; ``limiter=None`` admits everyone."""

    def __init__(
        self,
        limiter: RateLimiter | None,
        *,
        policy: FailurePolicy = FailurePolicy.FAIL_OPEN,
        observer: ChatObserver | None = None,
    ) -> None:
        self.limiter = limiter
        self.policy = policy
        self.observer: ChatObserver = observer or NoopChatObserver()

    async def admit(self, key_id: str, user: User) -> RateLimitDecision | None:
        """Count one request for API key ``key_id`` (a hash prefix, never the key).

        Returns the decision for ``RateLimit-*`` headers, or ``None`` when no decision was
        made (limiting off, or the backend down under fail-open).
        """
        if self.limiter is None:
            return None
        tier = user.tier
        try:
            decision = await self.limiter.hit(key_id, tier=tier)
        except DependencyUnavailable:
            self.observer.dependency_failure("rate_limiter", self.policy)
            if self.policy is FailurePolicy.FAIL_CLOSED:
                self.observer.rate_limit(tier.name, "fail_closed")
                raise
            self.observer.rate_limit(tier.name, "fail_open")
            return None
        if not decision.allowed:
            self.observer.rate_limit(tier.name, "limited")
            raise RateLimited(
                f"rate limit of {tier.requests} requests per {tier.period_seconds}s reached",
                retry_after=decision.retry_after,
                limit=decision.limit,
                reset_after=decision.reset_after,
            )
        self.observer.rate_limit(tier.name, "allowed")
        return decision


class PendingAdmission:
    """The admission of one request (``key_id``, ``user``), made on the first ``resolve``.

    Later calls give the same outcome without counting again: the same decision, or the
    same refusal (``RateLimited``, or ``DependencyUnavailable`` under fail-closed) raised
    again. One request's calls are sequential (the domain, then the HTTP layer).
    """

    __slots__ = ("_admission", "_decision", "_error", "_key_id", "_user", "resolved")

    def __init__(self, admission: Admission, key_id: str, user: User) -> None:
        self._admission = admission
        self._key_id = key_id
        self._user = user
        self._decision: RateLimitDecision | None = None
        self._error: ServiceError | None = None
        self.resolved = False

    async def resolve(self) -> RateLimitDecision | None:
        """The decision (``None``: none made, see ``Admission.admit``); raises a refusal."""
        if not self.resolved:
            try:
                self._decision = await self._admission.admit(self._key_id, self._user)
            except ServiceError as exc:
                self._error = exc
                self.resolved = True
                raise
            self.resolved = True
        if self._error is not None:
            raise self._error
        return self._decision
