"""A fake stops promptly on SIGTERM even with a request or a stream hung by a fault."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab.net import free_port
from lab.servers import FakeLLMServer

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
AUTH = {"authorization": "Bearer k"}


def _in_flight(fake: FakeLLMServer) -> float:
    """``fake_llm_in_flight_requests``: the chat requests the fake is handling now."""
    for line in fake.metrics_text().splitlines():
        if line.startswith("fake_llm_in_flight_requests{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.parametrize(
    ("faults", "stream", "answer"),
    [
        ({"hang": {"rate": 1.0, "max_s": 120}}, False, 503),
        ({"stream": {"rate": 1.0, "mix": {"hang": 1}, "after_tokens": 1}}, True, "truncated"),
    ],
    ids=["hang", "stream-hang"],
)
def test_sigterm_wakes_hung_requests(
    tmp_path: Path, faults: dict[str, Any], stream: bool, answer: int | str
) -> None:
    """SIGTERM ends the fake within seconds although a request hangs for minutes."""
    answers: list[int | str] = []

    def call(url: str) -> None:
        try:
            r = httpx.post(url, json={**CHAT, "stream": stream}, headers=AUTH, timeout=60)
            answers.append(r.status_code)
        except httpx.RemoteProtocolError:
            answers.append("truncated")  # a stream cut short of its promised length
        except httpx.HTTPError as exc:
            answers.append(type(exc).__name__)

    with FakeLLMServer("openai", port=free_port(), faults=faults, workdir=tmp_path) as fake:
        client = threading.Thread(target=call, args=(f"{fake.base_url}/chat/completions",))
        client.start()
        deadline = time.monotonic() + 10
        while _in_flight(fake) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _in_flight(fake) == 1
        pid = fake.pid
        assert pid is not None
        started = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        while fake.running and time.monotonic() - started < 30:
            time.sleep(0.05)
        took = time.monotonic() - started
    client.join(timeout=60)
    assert took < 10, f"the fake took {took:.1f} s to stop"
    assert answers == [answer]
