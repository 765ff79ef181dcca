"""The access log's fast path writes the same line structlog would."""

from __future__ import annotations

import io
import json

from service.telemetry.logging import configure_logging, flush_logs, get_logger, write_info_line


def _lines(stream: io.BytesIO) -> list[dict[str, object]]:
    flush_logs()
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_fast_access_line_equals_the_structlog_line() -> None:
    """Same keys in the same order and the same values, apart from the timestamp."""
    stream = io.BytesIO()
    configure_logging("info", stream=stream)
    try:
        fields = {"method": "POST", "route": "/v1/chat", "status": 200, "latency_ms": 1.5}
        get_logger("service.access").info("request", **fields)
        assert write_info_line("service.access", "request", dict(fields))
        slow, fast = _lines(stream)
    finally:
        configure_logging("info")
    assert list(fast) == list(slow)
    assert {k: v for k, v in fast.items() if k != "ts"} == {
        k: v for k, v in slow.items() if k != "ts"
    }


def test_fast_access_line_honours_the_level() -> None:
    """Below INFO the fast path writes nothing, as structlog's filter would."""
    stream = io.BytesIO()
    configure_logging("warning", stream=stream)
    try:
        assert write_info_line("service.access", "request", {"status": 200})
        assert _lines(stream) == []
    finally:
        configure_logging("info")
