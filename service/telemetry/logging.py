"""structlog JSON logs: one event per line on stdout, request id on every line.

``configure_logging`` is process-wide and idempotent. Lines carry ``ts`` (ISO 8601, UTC),
``level``, ``event`` and the context bound for the request (``request_id``). No API keys
and no message text are ever logged. Standard-library loggers (asyncpg, granian) are
routed through the same JSON renderer.

Lines are written in batches: at most ``BATCH_SECONDS`` after they were logged (the app
runs ``flush_periodically``), when 64 KiB are pending, and at exit. One ``write`` per
batch instead of one per line: on the lab's 2-core VMs a write per request cost about as
much CPU as the rest of the access logging together. A process killed with SIGKILL can
lose its last ``BATCH_SECONDS`` of lines.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any, BinaryIO

import msgspec
import structlog

from service.telemetry.context import current_record

__all__ = [
    "BATCH_SECONDS",
    "configure_logging",
    "flush_logs",
    "flush_periodically",
    "get_logger",
    "write_info_line",
]

BATCH_SECONDS = 0.1
_BATCH_BYTES = 65_536

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
_ENCODER = msgspec.json.Encoder(enc_hook=str)


def _dumps(obj: Any, **_: Any) -> bytes:
    return _ENCODER.encode(obj)


def _add_request_id(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Put the current request's id on the line (cheaper than structlog's contextvars)."""
    record = current_record()
    if record is not None:
        event.setdefault("request_id", record.request_id)
    return event


class _BatchedOutput:
    """A file for structlog's ``BytesLogger`` that batches its per-line flushes."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self._pending = bytearray()
        self._since = time.monotonic()

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._since = time.monotonic()
        self._pending += data

    def write_json_line(self, obj: Any) -> None:
        """Encode ``obj`` as one JSON line straight into the batch, then ``flush``."""
        if not self._pending:
            self._since = time.monotonic()
        _ENCODER.encode_into(obj, self._pending, -1)
        self._pending += b"\n"
        self.flush()

    def flush(self) -> None:
        """Called after every line: writes only when the batch is due."""
        if len(self._pending) >= _BATCH_BYTES or time.monotonic() - self._since >= BATCH_SECONDS:
            self.drain()

    def drain(self) -> None:
        """Write every pending line now."""
        if self._pending:
            try:
                self.out.write(self._pending)
                self.out.flush()
            except (OSError, ValueError):  # closed or broken stdout: logs are best effort
                pass
            self._pending.clear()


_OUTPUT: _BatchedOutput | None = None
_MIN_LEVEL = 20


def flush_logs() -> None:
    """Write every pending log line now (at shutdown, and by ``flush_periodically``)."""
    if _OUTPUT is not None:
        _OUTPUT.drain()


async def flush_periodically(interval: float = BATCH_SECONDS) -> None:
    """Flush pending lines every ``interval`` seconds, so an idle process's last lines
    do not wait for the next one. Runs until cancelled; flushes once more then."""
    try:
        while True:
            await asyncio.sleep(interval)
            flush_logs()
    finally:
        flush_logs()


def configure_logging(level: str = "info", *, stream: BinaryIO | None = None) -> None:
    """Send structlog and stdlib logging, as JSON lines, to ``stream`` (stdout)."""
    global _OUTPUT, _MIN_LEVEL  # one output per process, like structlog's own configuration
    number = _LEVELS.get(level, 20)
    _MIN_LEVEL = number
    out = stream if stream is not None else sys.stdout.buffer
    if _OUTPUT is None or _OUTPUT.out is not out:  # loggers cached earlier keep theirs
        flush_logs()
        _OUTPUT = _BatchedOutput(out)
    shared: list[Any] = [
        _add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.BytesLoggerFactory(_OUTPUT),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Library INFO lines (one per upstream HTTP call) would drown the access log.
    root.setLevel(logging.DEBUG if number <= logging.DEBUG else max(number, logging.WARNING))


atexit.register(flush_logs)


def write_info_line(logger: str, event: str, fields: dict[str, Any]) -> bool:
    """Write the INFO line ``get_logger(logger).info(event, **fields)`` would write, the
    same keys in the same order (``logger``, the fields, ``event``, ``request_id``,
    ``level``, ``ts``), without structlog's per-line processor chain (the access log's
    hot path). ``fields`` is consumed. False, writing nothing, when ``configure_logging``
    has not run (the caller logs through structlog then); True when the line is written
    or INFO is filtered out."""
    out = _OUTPUT
    if out is None:
        return False
    if _MIN_LEVEL > logging.INFO:
        return True
    line = {"logger": logger, **fields, "event": event}
    record = current_record()
    if record is not None:
        line.setdefault("request_id", record.request_id)
    line["level"] = "info"
    line["ts"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    out.write_json_line(line)
    return True


def get_logger(name: str) -> Any:
    """A structlog logger bound to ``logger=name``."""
    return structlog.get_logger(name).bind(logger=name)
