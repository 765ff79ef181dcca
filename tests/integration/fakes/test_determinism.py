"""Two fresh fakes with the same seed give the same answers and the same fault draws."""

from __future__ import annotations

import re

import httpx
import pytest

from lab.net import free_port
from lab.servers import FakeLLMServer

Run = list[tuple[int, str]]

FAULTS = {
    "errors": {"rate": 0.3, "mix": {"429": 1, "500": 1, "503": 1}},
    "stream": {"rate": 0.3, "mix": {"malformed_json": 1, "error_event": 1}, "after_tokens": 1},
    "latency": {"ttft": {"dist": "uniform", "low_ms": 0, "high_ms": 2}},
}


def _run(seed: int) -> Run:
    """Start a fake, send a fixed sequence of 40 requests, record (status, body)."""
    with FakeLLMServer("openai", port=free_port(), seed=seed, faults=FAULTS) as fake:
        results = []
        with httpx.Client(base_url=fake.base_url, timeout=5.0) as http:
            for i in range(40):
                body = {
                    "model": "gpt-4o-mini",
                    "stream": i % 2 == 1,
                    "messages": [{"role": "user", "content": f"question {i % 7}"}],
                }
                r = http.post("/chat/completions", json=body, headers={"authorization": "Bearer k"})
                # drop the fields that carry wall-clock time
                text = r.text.replace(str(r.headers.get("date")), "")
                results.append((r.status_code, _strip_created(text)))
        return results


def _strip_created(text: str) -> str:
    return re.sub(r'"created":\d+', '"created":0', text)


@pytest.fixture(scope="module")
def seven_twice() -> tuple[Run, Run]:
    """Two runs with seed 7."""
    return _run(7), _run(7)


def test_same_seed_same_responses(
    seven_twice: tuple[Run, Run],
) -> None:
    """The same seed and request sequence give byte-identical answers and faults."""
    first, second = seven_twice
    assert first == second


def test_faults_were_drawn(
    seven_twice: tuple[Run, Run],
) -> None:
    """The sequence mixes answers and injected errors (the draws did something)."""
    statuses = {status for status, _ in seven_twice[0]}
    assert 200 in statuses
    assert statuses & {429, 500, 503}


def test_other_seed_other_draws(
    seven_twice: tuple[Run, Run],
) -> None:
    """Another seed gives another sequence."""
    assert _run(8) != seven_twice[0]
