"""Vendor failures over real HTTP become typed ``ProviderError`` values."""

from __future__ import annotations

import pytest

from lab.net import free_port
from lab.servers import FakeLLMServer
from service.adapters.providers import ProviderTimeouts
from service.domain.errors import ProviderError
from service.domain.ports import LLMProvider
from service.domain.types import StreamDelta, StreamEvent
from tests.integration.providers.conftest import API_KEY, MakeProvider
from tests.integration.providers.test_adapters import REQUEST


async def _complete_error(provider: LLMProvider, timeout: float = 5) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=timeout)
    return caught.value


async def _stream_error(
    provider: LLMProvider, events: list[StreamEvent], *, first_token: float = 5
) -> ProviderError:
    async def drain() -> None:
        stream = provider.stream(REQUEST, first_token_timeout=first_token, total_timeout=10)
        async for event in stream:
            events.append(event)

    with pytest.raises(ProviderError) as caught:
        await drain()
    return caught.value


async def test_429_is_retryable_with_retry_after(
    fake: FakeLLMServer, make_provider: MakeProvider
) -> None:
    """A 429 is kind rate_limit, retryable, with Retry-After from the header."""
    fake.set_faults({"errors": {"rate": 1.0, "mix": {"429": 1}, "retry_after_s": 7}})
    error = await _complete_error(make_provider(fake))
    assert (error.kind, error.retryable, error.status, error.retry_after) == (
        "rate_limit",
        True,
        429,
        7.0,
    )


@pytest.mark.parametrize("status", ["500", "502", "503", "504"])
async def test_5xx_is_retryable(
    fake: FakeLLMServer, make_provider: MakeProvider, status: str
) -> None:
    """Server errors are retryable."""
    fake.set_faults({"errors": {"rate": 1.0, "mix": {status: 1}}})
    error = await _complete_error(make_provider(fake))
    assert error.retryable
    assert error.status == int(status)
    assert error.kind in ("server", "overloaded", "timeout")


async def test_529_is_overloaded_and_retryable(
    fake: FakeLLMServer, make_provider: MakeProvider
) -> None:
    """Anthropic's 529 (and OpenAI's overload) is kind overloaded, retryable."""
    fake.set_faults({"errors": {"rate": 1.0, "mix": {"529": 1}}})
    error = await _complete_error(make_provider(fake))
    assert (error.kind, error.retryable, error.status) == ("overloaded", True, 529)


async def test_401_is_auth_and_never_echoes_the_key(
    fake: FakeLLMServer, make_provider: MakeProvider
) -> None:
    """A rejected key is kind auth, not retryable, and the detail does not carry the key."""
    fake.set_faults({"auth": {"valid_keys": ["another-key"]}})
    error = await _complete_error(make_provider(fake))
    assert (error.kind, error.retryable, error.status) == ("auth", False, 401)
    assert API_KEY not in error.detail


async def test_context_length_is_its_own_kind(
    fake: FakeLLMServer, make_provider: MakeProvider
) -> None:
    """A prompt over the context window is kind context_length, not retryable."""
    fake.set_faults({"context": {"max_tokens_total": 5}})
    error = await _complete_error(make_provider(fake))
    assert (error.kind, error.retryable, error.status) == ("context_length", False, 400)


async def test_unknown_vendor_model_is_not_found_or_bad_request(
    fake: FakeLLMServer, make_provider: MakeProvider
) -> None:
    """An upstream 4xx for the request itself is not retryable."""
    fake.set_faults({"auth": {"valid_keys": [API_KEY]}})
    provider = make_provider(fake, api_key="wrong")
    error = await _complete_error(provider)
    assert not error.retryable


async def test_connection_refused_is_connect(
    fake: FakeLLMServer, make_provider: MakeProvider
) -> None:
    """Nothing listening is kind connect, retryable."""
    port = free_port()
    base = f"http://127.0.0.1:{port}" + ("/v1" if fake.vendor == "openai" else "")
    provider = make_provider(fake, base_url=base)
    error = await _complete_error(provider)
    assert (error.kind, error.retryable) == ("connect", True)
    assert not await provider.ping()


async def test_connection_reset_is_retryable(
    fake: FakeLLMServer, make_provider: MakeProvider
) -> None:
    """A connection reset by the upstream is a retryable error."""
    fake.set_faults({"outage": {"mode": "reset"}})
    error = await _complete_error(make_provider(fake))
    assert error.retryable
    assert error.kind in ("connect", "timeout")


async def test_hang_times_out(fake: FakeLLMServer, make_provider: MakeProvider) -> None:
    """An upstream that never answers is cut at the call's timeout: kind timeout."""
    fake.set_faults({"hang": {"rate": 1.0, "max_s": 30}})
    error = await _complete_error(make_provider(fake), timeout=0.5)
    assert (error.kind, error.retryable) == ("timeout", True)


async def test_first_token_timeout(fake: FakeLLMServer, make_provider: MakeProvider) -> None:
    """A stream whose first token is later than first_token_timeout fails as timeout."""
    fake.set_faults({"latency": {"ttft": {"dist": "fixed", "ms": 3000}}})
    events: list[StreamEvent] = []
    error = await _stream_error(make_provider(fake), events, first_token=0.3)
    assert (error.kind, error.retryable) == ("timeout", True)
    assert events == []


@pytest.mark.parametrize("fault", ["close", "error_event", "malformed_json", "malformed_sse"])
async def test_stream_broken_midway_is_kind_stream(
    fake: FakeLLMServer, make_provider: MakeProvider, fault: str
) -> None:
    """A stream that breaks after some tokens raises kind stream after those tokens."""
    fake.set_faults({"stream": {"rate": 1.0, "mix": {fault: 1}, "after_tokens": 2}})
    events: list[StreamEvent] = []
    error = await _stream_error(make_provider(fake), events)
    assert (error.kind, error.retryable) == ("stream", True)
    assert [type(e) for e in events] == [StreamDelta, StreamDelta]


async def test_stream_hanging_midway_times_out(
    fake: FakeLLMServer, make_provider: MakeProvider
) -> None:
    """A stream that goes silent after some tokens is cut by the idle/total timeout."""
    fake.set_faults({"stream": {"rate": 1.0, "mix": {"hang": 1}, "after_tokens": 2}})
    provider = make_provider(
        fake, timeouts=ProviderTimeouts(connect=1.0, first_token=0.5, total=1.5)
    )
    events: list[StreamEvent] = []
    error = await _stream_error(provider, events)
    assert error.kind in ("timeout", "stream")
    assert len(events) == 2
