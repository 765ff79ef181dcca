"""The load generator's client reads the fakes' output marks through a real service: each
answer's record names the marks of the fake that wrote it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from lab.servers import FakeLLMServer
from lab.servers.service import ServiceReplica
from loadtests.client import Exchange, LabClient, to_record
from rundir import RequestRecord

MARKS = {"openai": 3, "anthropic": 7}
KEY = f"sk-marks-{uuid.uuid4().hex[:8]}"


@dataclass
class Marked:
    service: ServiceReplica
    fakes: dict[str, FakeLLMServer]


@pytest.fixture(scope="module")
def marked() -> Iterator[Marked]:
    """The service in front of two marked fakes (openai mark 3 first, anthropic mark 7)."""
    fakes = {
        name: FakeLLMServer(name, seed=5, mark=mark).start()  # type: ignore[arg-type]
        for name, mark in MARKS.items()
    }
    providers = [
        {
            "name": name,
            "kind": name,
            "api_key": "sk-fake",
            "base_url": fake.base_url,
            "model_map": {
                "chat-small": "gpt-4o-mini" if name == "openai" else "claude-3-5-haiku-latest"
            },
            "timeouts": {"connect": 1.0, "first_token": 2.0, "total": 5.0},
        }
        for name, fake in fakes.items()
    ]
    env = {
        "CHAT_API_KEYS": f"{KEY}:marks-user",
        "CHAT_PROVIDERS": json.dumps(providers),
        "CHAT_ACCESS_LOG": "false",
        "CHAT_REQUEST_DEADLINE_SECONDS": "5",
    }
    try:
        service = ServiceReplica(name="replica-marks", env=env).start()
    except BaseException:
        for fake in fakes.values():
            fake.stop()
        raise
    try:
        yield Marked(service, fakes)
    finally:
        service.stop()
        for fake in fakes.values():
            fake.stop()


@pytest.fixture
def client(marked: Marked) -> Iterator[LabClient]:
    lab_client = LabClient(base_url=marked.service.url, key=KEY, timeout=10.0, model="chat-small")
    try:
        yield lab_client
    finally:
        lab_client.close()


def _record(seen: Exchange, *, stream: bool, name: str = "/v1/chat") -> RequestRecord:
    return to_record(
        seen, t=0.0, latency_s=0.1, user="chat", name=name, stream=stream, expected=(),
        worker="w",
    )  # fmt: skip


def test_a_chat_answer_carries_the_mark_of_its_provider(client: LabClient) -> None:
    """``/v1/chat`` JSON: the record's marks are exactly the answering fake's mark."""
    record = _record(client.chat("What is a mark?", conversation_id=None, temperature=0.0),
                     stream=False)  # fmt: skip
    assert record.status == 200
    assert record.provider in MARKS
    assert record.marks == (MARKS[record.provider],)


def test_a_chat_stream_carries_the_mark_of_its_provider(client: LabClient) -> None:
    """``/v1/chat`` token events: the record's marks are exactly the answering fake's mark."""
    record = _record(client.chat_stream("Stream a mark.", temperature=0.0), stream=True)
    assert (record.status, record.stream_complete) == (200, True)
    assert record.provider in MARKS
    assert record.marks == (MARKS[record.provider],)


@pytest.mark.parametrize("stream", [False, True])
def test_an_openai_route_answer_carries_the_mark(client: LabClient, stream: bool) -> None:
    """The OpenAI-compatible route's content (JSON or stream deltas) decodes to one mark."""
    seen = client.completion("Complete a mark.", stream=stream)
    record = _record(seen, stream=stream, name="/v1/chat/completions")
    assert record.status == 200
    assert record.marks is not None
    assert len(record.marks) == 1
    assert record.marks[0] in MARKS.values()


def test_a_failed_over_answer_carries_the_second_fakes_mark(
    marked: Marked, client: LabClient
) -> None:
    """With the first fake in an outage the answer comes from the second: its mark, 7."""
    marked.fakes["openai"].set_faults({"outage": {}})
    try:
        seen = client.chat("Who answers now?", conversation_id=None, temperature=0.0)
    finally:
        marked.fakes["openai"].reset()
    record = _record(seen, stream=False)
    assert (record.status, record.provider) == (200, "anthropic")
    assert record.marks == (7,)


def test_an_error_answer_has_no_marks(marked: Marked, client: LabClient) -> None:
    """With both fakes down the service answers an error: no marks (null)."""
    for fake in marked.fakes.values():
        fake.set_faults({"outage": {}})
    try:
        seen = client.chat("Anyone?", conversation_id=None, temperature=0.0)
    finally:
        for fake in marked.fakes.values():
            fake.reset()
    record = _record(seen, stream=False)
    assert record.status >= 500
    assert record.marks is None
