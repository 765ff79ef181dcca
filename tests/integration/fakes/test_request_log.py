"""A real fake with a request log and a mark, driven by the official SDKs: one log line per
request carrying the caller's ``x-request-id``, and marked text the client can decode."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import msgspec
import openai
import pytest

from fakes.llm.mark import strip_marks
from fakes.llm.text import count_tokens
from lab.servers import FakeLLMServer
from loadtests.marks import marks_in
from rundir import UpstreamRecord
from tests.integration.fakes.sdk import sdk_client

GPT = "gpt-4o-mini"
CLAUDE = "claude-3-5-haiku-latest"
PROMPT = "Tell me about chaos."


class Logged:
    """A marked fake with its request log."""

    def __init__(self, fake: FakeLLMServer, log: Path, mark: int) -> None:
        self.fake, self.log, self.mark = fake, log, mark

    def line(self, rid: str, timeout: float = 5.0) -> UpstreamRecord:
        """The one line with ``rid`` (waits: a line is written once the request is over)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.log.read_bytes().splitlines() if self.log.exists() else []
            found = [
                r for r in (msgspec.json.decode(x, type=UpstreamRecord) for x in lines)
                if r.rid == rid
            ]  # fmt: skip
            if found or time.monotonic() > deadline:
                assert len(found) == 1, found
                return found[0]
            time.sleep(0.02)


def _start(vendor: str, mark: int, tmp: Path) -> Logged:
    log = tmp / f"{vendor}.jsonl"
    fake = FakeLLMServer(vendor, request_log=log, mark=mark).start()  # type: ignore[arg-type]
    return Logged(fake, log, mark)


@pytest.fixture(scope="module")
def marked_openai(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    logged = _start("openai", 5, tmp_path_factory.mktemp("fake-openai"))
    try:
        yield logged
    finally:
        logged.fake.stop()


@pytest.fixture(scope="module")
def marked_anthropic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    logged = _start("anthropic", 10, tmp_path_factory.mktemp("fake-anthropic"))
    try:
        yield logged
    finally:
        logged.fake.stop()


@pytest.fixture
def openai_client(marked_openai: Logged) -> Iterator[openai.OpenAI]:
    with sdk_client(openai.OpenAI, marked_openai.fake) as client:
        yield client


@pytest.fixture
def anthropic_client(marked_anthropic: Logged) -> Iterator[anthropic.Anthropic]:
    with sdk_client(anthropic.Anthropic, marked_anthropic.fake) as client:
        yield client


def _rid(name: str) -> str:
    return f"{name}-{time.monotonic_ns()}"


def test_openai_completion_is_one_line_with_the_request_id(
    marked_openai: Logged, openai_client: openai.OpenAI
) -> None:
    """A completion logs its rid, the response id, model, 200 ``ok`` and the usage's tokens."""
    rid = _rid("c")
    completion = openai_client.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": PROMPT}],
        extra_headers={"x-request-id": rid},
    )  # fmt: skip
    line = marked_openai.line(rid)
    assert completion.usage is not None
    assert (line.id, line.vendor, line.model, line.stream) == (completion.id, "openai", GPT, False)
    assert (line.status, line.outcome) == (200, "ok")
    assert line.prompt_tokens == completion.usage.prompt_tokens
    assert line.completion_tokens == completion.usage.completion_tokens
    assert 0 <= line.latency_s < 5


def test_anthropic_stream_logs_the_tokens_sent(
    marked_anthropic: Logged, anthropic_client: anthropic.Anthropic
) -> None:
    """A whole stream logs ``ok`` with as many completion tokens as text deltas arrived."""
    rid = _rid("s")
    stream = anthropic_client.messages.create(
        model=CLAUDE, max_tokens=256, messages=[{"role": "user", "content": PROMPT}],
        stream=True, extra_headers={"x-request-id": rid},
    )  # fmt: skip
    deltas = [e for e in stream if e.type == "content_block_delta"]
    line = marked_anthropic.line(rid)
    assert (line.stream, line.status, line.outcome) == (True, 200, "ok")
    assert line.completion_tokens == len(deltas)


def test_a_cut_stream_logs_the_tokens_that_went_out(
    marked_openai: Logged, openai_client: openai.OpenAI
) -> None:
    """A stream closed after 4 tokens logs ``stream_fault``, status 200 and 4 tokens."""
    marked_openai.fake.set_faults({"stream": {"rate": 1.0, "after_tokens": 4}})
    rid = _rid("cut")
    try:
        stream = openai_client.chat.completions.create(
            model=GPT, messages=[{"role": "user", "content": PROMPT}], stream=True,
            extra_headers={"x-request-id": rid},
        )  # fmt: skip
        with pytest.raises(openai.APIConnectionError):
            list(stream)
    finally:
        marked_openai.fake.reset()
    line = marked_openai.line(rid)
    assert (line.status, line.outcome, line.completion_tokens) == (200, "stream_fault", 4)


@pytest.mark.parametrize("vendor", ["openai", "anthropic"])
def test_an_outage_logs_error_503(
    vendor: str,
    marked_openai: Logged,
    marked_anthropic: Logged,
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
) -> None:
    """A request during an outage logs ``error`` with status 503 and no completion tokens."""
    logged = marked_openai if vendor == "openai" else marked_anthropic
    logged.fake.set_faults({"outage": {}})
    rid = _rid("outage")
    try:
        if vendor == "openai":
            with pytest.raises(openai.InternalServerError):
                openai_client.chat.completions.create(
                    model=GPT, messages=[{"role": "user", "content": PROMPT}],
                    extra_headers={"x-request-id": rid},
                )  # fmt: skip
        else:
            with pytest.raises(anthropic.InternalServerError):
                anthropic_client.messages.create(
                    model=CLAUDE, max_tokens=64, messages=[{"role": "user", "content": PROMPT}],
                    extra_headers={"x-request-id": rid},
                )  # fmt: skip
    finally:
        logged.fake.reset()
    line = logged.line(rid)
    assert (line.status, line.outcome, line.completion_tokens) == (503, "error", 0)


def test_a_reset_logs_status_0(marked_openai: Logged, openai_client: openai.OpenAI) -> None:
    """A connection reset sends no status: the line says 0 and ``reset``."""
    marked_openai.fake.set_faults({"errors": {"rate": 1.0, "mix": {"reset": 1}}})
    rid = _rid("reset")
    try:
        with pytest.raises(openai.APIConnectionError):
            openai_client.chat.completions.create(
                model=GPT, messages=[{"role": "user", "content": PROMPT}],
                extra_headers={"x-request-id": rid},
            )  # fmt: skip
    finally:
        marked_openai.fake.reset()
    line = marked_openai.line(rid)
    assert (line.status, line.outcome) == (0, "reset")


def test_a_request_without_request_id_logs_null(
    marked_openai: Logged, openai_client: openai.OpenAI
) -> None:
    """Without ``x-request-id`` the line's rid is null (the last line with the response id:
    ids restart when a test resets the fake)."""
    completion = openai_client.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "no id"}]
    )
    time.sleep(0.2)
    lines = marked_openai.log.read_bytes().splitlines()
    mine = [
        r for r in (msgspec.json.decode(x, type=UpstreamRecord) for x in lines)
        if r.id == completion.id
    ]  # fmt: skip
    assert mine
    assert mine[-1].rid is None


def test_openai_text_decodes_to_the_fakes_mark(
    marked_openai: Logged, openai_client: openai.OpenAI
) -> None:
    """The SDK's completion text and its streamed deltas each decode to exactly mark 5."""
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": PROMPT}
    ]
    content = openai_client.chat.completions.create(model=GPT, messages=messages)
    text = content.choices[0].message.content or ""
    stream = openai_client.chat.completions.create(model=GPT, messages=messages, stream=True)
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert marks_in(text) == (5,)
    assert marks_in(streamed) == (5,)
    assert streamed == text


def test_anthropic_text_decodes_to_the_fakes_mark(
    marked_anthropic: Logged, anthropic_client: anthropic.Anthropic
) -> None:
    """The SDK's message text decodes to exactly mark 10, and its usage ignores the marks."""
    message = anthropic_client.messages.create(
        model=CLAUDE, max_tokens=256, messages=[{"role": "user", "content": PROMPT}]
    )
    block = message.content[0]
    assert block.type == "text"
    assert marks_in(block.text) == (10,)
    assert message.usage.output_tokens == count_tokens(block.text)


def test_an_unmarked_fake_answers_the_same_text_without_marks(
    marked_anthropic: Logged, anthropic_client: anthropic.Anthropic, fake_anthropic: FakeLLMServer
) -> None:
    """The unmarked fake (same seed) answers the marked text without its marks, and no mark."""
    ask: dict[str, object] = {
        "model": CLAUDE, "max_tokens": 256, "messages": [{"role": "user", "content": PROMPT}],
    }  # fmt: skip
    marked = anthropic_client.messages.create(**ask)  # type: ignore[call-overload]
    with sdk_client(anthropic.Anthropic, fake_anthropic) as plain_client:
        plain = plain_client.messages.create(**ask)  # type: ignore[call-overload]
    plain_text, marked_text = plain.content[0].text, marked.content[0].text
    assert marks_in(plain_text) == ()
    assert plain_text == strip_marks(marked_text) != marked_text
    assert plain.usage.output_tokens == marked.usage.output_tokens
    assert plain.usage.input_tokens == marked.usage.input_tokens
