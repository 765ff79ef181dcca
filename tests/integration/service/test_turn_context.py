"""The recent-turns cache never holds a history the store does not: after concurrent
turns to one conversation, the next turn's context is the store's history (the service
as a real process, real Redis, real PostgreSQL, the fake OpenAI counting the prompt it
receives). The in-process test client serialises requests, so it could not race."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import msgspec
import pytest

from fakes.llm.wire import prompt_tokens
from lab.servers import FakeLLMServer
from tests.fixtures.service import ServiceProcess, ServiceUsers

CONCURRENT = 10
CONTEXT_TURNS = 20


@pytest.mark.usefixtures("fake_faults_reset")
async def test_concurrent_turns_leave_the_next_context_equal_to_the_store(
    service_process: Callable[..., ServiceProcess],
    service_users: ServiceUsers,
    openai_only: tuple[Any, ...],
    clean_redis: str,
    postgres_server: Any,
    fake_openai: FakeLLMServer,
) -> None:
    """10 simultaneous turns to one conversation (answers 10-300 ms apart, so they finish
    out of order), then two more: the provider is sent exactly the store's last
    context_turns turns plus the new message."""
    service = service_process(
        {
            "CHAT_API_KEYS": service_users.env(),
            "CHAT_RATE_TIERS": "default=10000/60,tight=3/60",
            "CHAT_PROVIDERS": json.dumps([msgspec.to_builtins(p) for p in openai_only]),
            "CHAT_REDIS_URL": clean_redis,
            "CHAT_STORE_URL": postgres_server.dsn,
            "CHAT_CONTEXT_TURNS": str(CONTEXT_TURNS),
        }
    )
    headers = service_users.headers(service_users.alice)
    async with httpx.AsyncClient(base_url=service.url, headers=headers, timeout=30) as client:
        first = await client.post("/v1/chat", json={"message": "start here"})
        assert first.status_code == 200, first.text
        conversation_id = first.json()["conversation_id"]
        fake_openai.set_faults(
            {"latency": {"ttft": {"dist": "uniform", "low_ms": 10, "high_ms": 300}}}
        )
        replies = await asyncio.gather(
            *(
                client.post(
                    "/v1/chat",
                    json={"message": f"concurrent turn {i}", "conversation_id": conversation_id},
                )
                for i in range(CONCURRENT)
            )
        )
        assert [r.status_code for r in replies] == [200] * CONCURRENT
        fake_openai.reset()
        detail = await client.get(f"/v1/conversations/{conversation_id}")
        stored = [turn["content"] for turn in detail.json()["turns"]]
        assert len(stored) == 2 * (CONCURRENT + 1)
        context = stored[-CONTEXT_TURNS:]
        for attempt in range(2):  # the second one reads what the first left in the cache
            message = f"and now {attempt}"
            after = await client.post(
                "/v1/chat", json={"message": message, "conversation_id": conversation_id}
            )
            assert after.status_code == 200, after.text
            assert after.json()["usage"]["input_tokens"] == prompt_tokens([*context, message])
            context = [*context, message, after.json()["message"]][-CONTEXT_TURNS:]
