"""The one error-to-HTTP mapping, the bearer authenticator and the admission policy."""

from __future__ import annotations

import pytest
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from service.adapters.redis.memory import MemoryRateLimiter
from service.api.auth import Authenticator
from service.api.errors import to_problem
from service.domain.admission import Admission
from service.domain.errors import (
    AllProvidersFailed,
    BadRequest,
    DependencyUnavailable,
    Draining,
    NotFound,
    ProviderError,
    RateLimited,
    ServiceError,
    StreamInterrupted,
    Unauthorized,
)
from service.domain.policy import FailurePolicy
from service.domain.types import RateLimitDecision, RateLimitTier, User
from service.settings import hash_key

TIER = RateLimitTier(name="tight", requests=2, period_seconds=60)
ALICE = User(id="alice", tier=TIER)


def _timeout() -> ProviderError:
    return ProviderError("slow", provider="openai", kind="timeout", retryable=True)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (BadRequest("empty", field="message"), 422),
        (Unauthorized("no key"), 401),
        (NotFound("gone"), 404),
        (RateLimited("slow down", retry_after=1.2, limit=2, reset_after=59.5), 429),
        (DependencyUnavailable("redis down", dependency="redis"), 503),
        (Draining("bye"), 503),
        (AllProvidersFailed("none", errors=(_timeout(),)), 503),
        (StreamInterrupted("cut"), 502),
        (ProviderError("too long", provider="o", kind="context_length", retryable=False), 400),
        (ServiceError("odd"), 500),
        (RuntimeError("boom"), 500),
        (RequestEntityTooLarge(), 413),
        (NotFoundException(), 404),
    ],
)
def test_each_error_has_its_status(error: BaseException, status: int) -> None:
    """Every error class maps to one HTTP status."""
    problem, _ = to_problem(error)
    assert problem.status == status


def test_rate_limited_carries_retry_after_and_ratelimit_headers() -> None:
    """429 rounds Retry-After up and fills the RateLimit-* headers."""
    _, headers = to_problem(RateLimited("x", retry_after=1.2, limit=2, reset_after=59.5))
    assert headers == {
        "retry-after": "2",
        "ratelimit-limit": "2",
        "ratelimit-remaining": "0",
        "ratelimit-reset": "60",
    }


def test_client_error_inside_all_providers_failed_reaches_the_caller() -> None:
    """A non-retryable provider error (context length) is the caller's 400, not a 503."""
    rejected = ProviderError("too long", provider="o", kind="context_length", retryable=False)
    problem, _ = to_problem(AllProvidersFailed("x", errors=(_timeout(), rejected)))
    assert problem.status == 400
    assert problem.kind == "context_length"


def test_all_providers_failed_names_the_last_provider_and_its_error() -> None:
    """Every provider down: a 503 whose problem names the last provider tried and its error
    kind (so a caller tells a provider outage from the service's own failure)."""
    problem, headers = to_problem(AllProvidersFailed("none", errors=(_timeout(),)))
    assert problem.status == 503
    assert problem.provider == _timeout().provider
    assert problem.kind == _timeout().kind
    assert headers == {"retry-after": "1"}
    assert to_problem(AllProvidersFailed("none"))[0].provider is None


def test_validation_errors_name_the_field() -> None:
    """Litestar's validation details become field and reason."""
    error = ValidationException(
        extra=[{"message": "Expected `int`, got `str`", "key": "max_tokens", "source": "body"}]
    )
    problem, _ = to_problem(error)
    assert (problem.status, problem.field) == (400, "max_tokens")
    assert "Expected `int`" in problem.detail


def test_unexpected_errors_leak_nothing() -> None:
    """A 500 says nothing about the exception."""
    problem, _ = to_problem(RuntimeError("password=hunter2"))
    assert "hunter2" not in problem.detail


def test_authenticator_accepts_only_known_bearer_keys() -> None:
    """Known keys authenticate; missing, other schemes and unknown keys raise."""
    auth = Authenticator({hash_key("sk-1"): ALICE})
    user, key_id = auth.authenticate(b"Bearer sk-1")
    assert user == ALICE
    assert key_id == hash_key("sk-1")[:16]
    assert auth.authenticate(b"bearer  sk-1 ")[0] == ALICE
    for header in (None, b"", b"Basic sk-1", b"Bearer sk-2"):
        with pytest.raises(Unauthorized):
            auth.authenticate(header)


async def test_admission_limits_then_refuses() -> None:
    """A tier of two lets two requests pass, then raises RateLimited."""
    admission = Admission(MemoryRateLimiter())
    decisions = [await admission.admit("k", ALICE) for _ in range(2)]
    assert [d.remaining for d in decisions if d] == [1, 0]
    with pytest.raises(RateLimited) as refused:
        await admission.admit("k", ALICE)
    assert refused.value.retry_after > 0


class _DownLimiter:
    async def hit(self, key: str, *, tier: RateLimitTier) -> RateLimitDecision:
        raise DependencyUnavailable("redis down", dependency="redis")

    async def ping(self) -> bool:
        return False

    async def aclose(self) -> None:
        return None


async def test_admission_fail_open_admits_without_a_decision() -> None:
    """With the limiter down and fail-open, requests pass undecided."""
    admission = Admission(_DownLimiter(), policy=FailurePolicy.FAIL_OPEN)
    assert await admission.admit("k", ALICE) is None


async def test_admission_fail_closed_refuses() -> None:
    """With the limiter down and fail-closed, requests fail with DependencyUnavailable."""
    admission = Admission(_DownLimiter(), policy=FailurePolicy.FAIL_CLOSED)
    with pytest.raises(DependencyUnavailable):
        await admission.admit("k", ALICE)


def test_invalid_utf8_body_is_a_400_naming_the_body() -> None:
    """A body that is not UTF-8 (Litestar's UnicodeDecodeError) is 400 on ``body``, not 500."""
    error = UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
    problem, _ = to_problem(error)
    assert (problem.status, problem.field) == (400, "body")
    assert "utf-8" in problem.detail.lower()


def test_empty_body_says_the_body_is_empty() -> None:
    """A missing body (Litestar's KeyError on ``data``) says so instead of ``'data'``."""
    error = ValidationException(extra=[{"message": "'data'", "key": "data", "source": "body"}])
    problem, _ = to_problem(error)
    assert (problem.status, problem.field) == (400, "body")
    assert "empty" in problem.detail
    assert "'data'" not in problem.detail


@pytest.mark.parametrize(
    ("errors", "title"),
    [
        (
            [
                ValidationException(extra=[{"message": "x", "key": "message"}]),
                UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"),
                ClientException("JSON is malformed: truncated"),
                ProviderError("long", provider="o", kind="context_length", retryable=False),
            ],
            "Bad Request",
        ),
        (
            [
                BadRequest("empty", field="message"),
                ProviderError("no", provider="o", kind="not_found", retryable=False),
            ],
            "Unprocessable Content",
        ),
        ([RequestEntityTooLarge()], "Content Too Large"),
        (
            [
                DependencyUnavailable("down", dependency="redis"),
                Draining("bye"),
                AllProvidersFailed("none", errors=(_timeout(),)),
            ],
            "Service Unavailable",
        ),
        ([ServiceError("odd"), RuntimeError("boom")], "Internal Server Error"),
    ],
)
def test_one_title_per_status(errors: list[BaseException], title: str) -> None:
    """Every error with the same status has the same title: the status's reason phrase."""
    assert {to_problem(error)[0].title for error in errors} == {title}
