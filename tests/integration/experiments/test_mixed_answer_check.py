"""The mixed-answer check catches an answer spliced from two providers.

The service never splices (a stream that fails after its first token ends with an error
event; failover restarts the answer on the next provider). So this test builds the broken
path on purpose: a gateway speaking the service's ``/v1/chat`` stream format that forwards
the first tokens of one real marked fake's stream, then "resumes" on a second real fake,
skipping as many tokens as it already sent. The lab's own client reads both gateways'
answers, and the report built from those records fails ``mixed_answers`` for the spliced
one and passes it for the honest one (same fakes, same client, same report code).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from lab.servers import FakeLLMServer
from loadtests.client import LabClient, to_record
from reports.build import build_report
from reports.model import LlmCheck
from reports.rundata import load_run
from rundir import Component, RequestRecord
from tests.unit.reports.builder import T0, RunBuilder

MARKS = {"fake-a": 1, "fake-b": 2}
SPLICE_AFTER = 3


def _deltas(base_url: str, message: str) -> Iterator[str]:
    """The content deltas of an OpenAI-wire stream from a real fake."""
    body = {
        "model": "gpt-4o-mini",
        "stream": True,
        "messages": [{"role": "user", "content": message}],
    }
    with requests.post(
        f"{base_url}/chat/completions",
        json=body,
        stream=True,
        timeout=10,
        headers={"authorization": "Bearer sk-fake"},
    ) as response:
        response.raise_for_status()
        for line in response.iter_lines(decode_unicode=True):
            if not line or not line.startswith("data: ") or line == "data: [DONE]":
                continue
            choices = json.loads(line[len("data: ") :]).get("choices") or [{}]
            content = choices[0].get("delta", {}).get("content")
            if content:
                yield content


class _Gateway(BaseHTTPRequestHandler):
    """``POST /v1/chat`` with ``stream: true``, in the service's event format."""

    fakes: dict[str, FakeLLMServer]
    splice = False

    def log_message(self, format: str, *args: object) -> None:
        return

    def _event(self, name: str, data: dict[str, object]) -> None:
        payload = json.dumps(data, ensure_ascii=False)
        self.wfile.write(f"event: {name}\ndata: {payload}\n\n".encode())
        self.wfile.flush()

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        message = json.loads(self.rfile.read(length))["message"]
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("x-request-id", f"gw-{threading.get_ident()}-{id(self)}")
        self.send_header("connection", "close")
        self.end_headers()
        self._event("start", {"conversation_id": "c1"})
        first = _deltas(self.fakes["fake-a"].base_url, message)
        if not self.splice:
            for text in first:
                self._event("token", {"text": text})
        else:  # the broken path: resume on the other provider mid-answer
            for _, text in zip(range(SPLICE_AFTER), first, strict=False):
                self._event("token", {"text": text})
            rest = _deltas(self.fakes["fake-b"].base_url, message)
            for number, text in enumerate(rest):
                if number >= SPLICE_AFTER:
                    self._event("token", {"text": text})
        self._event("done", {"provider": "openai"})
        self.close_connection = True


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, FakeLLMServer]]:
    started: dict[str, FakeLLMServer] = {}
    try:
        for name, mark in MARKS.items():
            started[name] = FakeLLMServer("openai", seed=3, mark=mark).start()
        yield started
    finally:
        for fake in started.values():
            fake.stop()


def _records(
    fakes: dict[str, FakeLLMServer], *, splice: bool, count: int = 6
) -> list[RequestRecord]:
    handler = type("Gateway", (_Gateway,), {"fakes": fakes, "splice": splice})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = LabClient(
        base_url=f"http://127.0.0.1:{server.server_port}", key="sk-x", timeout=10.0, model=None
    )
    try:
        out = []
        for i in range(count):
            seen = client.chat_stream(f"Tell me about splice number {i}.", temperature=0.0)
            out.append(
                to_record(
                    seen,
                    t=T0 + 1 + i,
                    latency_s=0.5,
                    user="stream",
                    name="/v1/chat",
                    stream=True,
                    expected=(),
                    worker="w",
                )
            )
        return out
    finally:
        client.close()
        server.shutdown()
        server.server_close()


def _mixed_check(tmp_path: Path, records: list[RequestRecord]) -> LlmCheck:
    builder = RunBuilder(tmp_path, duration=10)
    builder.components = tuple(
        Component(name=name, kind="provider", provider=name, vendor="openai", extra={"mark": mark})
        for name, mark in MARKS.items()
    )
    builder.records = records
    report = build_report(load_run(builder.write()))
    assert report.llm is not None
    return next(c for c in report.llm.checks if c.name == "mixed_answers")


def test_a_spliced_stream_fails_the_mixed_answer_check(
    fakes: dict[str, FakeLLMServer], tmp_path: Path
) -> None:
    records = _records(fakes, splice=True)
    assert all(r.outcome == "good" and r.stream_complete for r in records)
    assert all(r.marks == (1, 2) for r in records), [r.marks for r in records]
    check = _mixed_check(tmp_path, records)
    assert check.state == "fail"
    assert check.value == len(records)


def test_the_same_path_without_the_splice_is_not_mixed(
    fakes: dict[str, FakeLLMServer], tmp_path: Path
) -> None:
    """One provider per answer: marks (1,) only; nothing could mix, so not exercised."""
    records = _records(fakes, splice=False)
    assert all(r.marks == (1,) for r in records), [r.marks for r in records]
    assert _mixed_check(tmp_path, records).state == "not_exercised"
