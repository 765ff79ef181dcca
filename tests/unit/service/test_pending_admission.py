"""``PendingAdmission``: one request's rate-limit decision, made once on first use."""

from __future__ import annotations

import pytest

from service.adapters.redis.memory import MemoryRateLimiter
from service.domain.admission import Admission, PendingAdmission
from service.domain.errors import DependencyUnavailable, RateLimited
from service.domain.policy import FailurePolicy
from service.domain.types import RateLimitDecision, RateLimitTier, User

TIER = RateLimitTier(name="default", requests=1, period_seconds=60)
ALICE = User(id="alice", tier=TIER)


class _DownLimiter:
    def __init__(self) -> None:
        self.calls = 0

    async def hit(self, key: str, *, tier: RateLimitTier) -> RateLimitDecision:
        self.calls += 1
        raise DependencyUnavailable("redis down", dependency="redis")

    async def ping(self) -> bool:
        return False

    async def aclose(self) -> None:
        return None


async def test_a_pending_admission_counts_once() -> None:
    """Resolving twice gives the same decision and counts one request."""
    admission = Admission(MemoryRateLimiter())
    pending = PendingAdmission(admission, "k", ALICE)
    assert not pending.resolved
    first = await pending.resolve()
    assert pending.resolved
    assert await pending.resolve() == first
    assert first is not None
    assert first.remaining == 0
    with pytest.raises(RateLimited):  # the tier of one is spent by that single count
        await PendingAdmission(admission, "k", ALICE).resolve()


async def test_a_refusal_is_raised_again_without_counting() -> None:
    """A refused admission raises the same refusal on every resolve."""
    admission = Admission(MemoryRateLimiter())
    await admission.admit("k", ALICE)
    pending = PendingAdmission(admission, "k", ALICE)
    with pytest.raises(RateLimited) as first:
        await pending.resolve()
    with pytest.raises(RateLimited) as again:
        await pending.resolve()
    assert again.value is first.value


async def test_fail_closed_refusal_is_decided_once() -> None:
    """With the limiter down and fail-closed, the 503 is decided by one limiter call."""
    limiter = _DownLimiter()
    pending = PendingAdmission(Admission(limiter, policy=FailurePolicy.FAIL_CLOSED), "k", ALICE)
    for _ in range(2):
        with pytest.raises(DependencyUnavailable):
            await pending.resolve()
    assert limiter.calls == 1


async def test_fail_open_admits_undecided() -> None:
    """With the limiter down and fail-open, the pending admission admits with no decision."""
    pending = PendingAdmission(
        Admission(_DownLimiter(), policy=FailurePolicy.FAIL_OPEN), "k", ALICE
    )
    assert await pending.resolve() is None
    assert pending.resolved
