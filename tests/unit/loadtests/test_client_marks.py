"""How the client turns the mark characters of an answer into ``RequestRecord.marks``."""

from __future__ import annotations

import json

from loadtests.client import Exchange, LabClient, _marks_of, to_record
from loadtests.marks import ALPHABET

THREE = ALPHABET[0] + ALPHABET[3]  # mark 3
NINE = ALPHABET[2] + ALPHABET[1]  # mark 9


def _marks(seen: Exchange) -> tuple[int, ...] | None:
    record = to_record(
        seen, t=1.0, latency_s=1.0, user="chat", name="/v1/chat", stream=False,
        expected=(), worker="w",
    )  # fmt: skip
    return record.marks


def test_raw_and_escaped_event_data_give_the_same_characters() -> None:
    """A token event's data yields its mark characters whether JSON escaped them or not."""
    raw = json.dumps({"text": " word" + THREE}, ensure_ascii=False)
    escaped = json.dumps({"text": " word" + THREE})
    assert "\\u" in escaped
    assert _marks_of(raw) == _marks_of(escaped) == THREE


def test_json_answers_of_both_routes_are_read() -> None:
    """``/v1/chat``'s ``message`` and the OpenAI route's ``choices[0].message.content``."""
    chat, completion = Exchange(status=200), Exchange(status=200)
    LabClient._read_json(json.dumps({"message": "a" + THREE + " b" + THREE}).encode(), chat)
    body = {"choices": [{"message": {"role": "assistant", "content": "c" + NINE}}]}
    LabClient._read_json(json.dumps(body).encode(), completion)
    assert _marks(chat) == (3,)
    assert _marks(completion) == (9,)


def test_two_providers_in_one_answer_give_two_marks() -> None:
    """Stream chunks marked 9 then 3 record (9, 3)."""
    assert _marks(Exchange(status=200, mark_chars=[NINE, NINE, THREE])) == (9, 3)


def test_no_marks_for_unmarked_or_non_2xx_answers() -> None:
    """An answer without mark characters, or a non-2xx one, records null marks."""
    assert _marks(Exchange(status=200)) is None
    assert _marks(Exchange(status=503, mark_chars=[THREE])) is None
