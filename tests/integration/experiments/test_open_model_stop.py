"""The open model against a front door that records what reaches it: arrivals rotate over
the load keys, the mix keeps its temperature-0 questions, no request reaches the server
after ``RUN/load/stop-at``, and Locust's totals equal the per-request log."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import msgspec
import pytest

from chaoslab.run.locust import LocustRun
from loadtests.config import LoadConfig, write_config
from rundir import read_requests
from rundir.layout import LOAD_DIR, STOP_FILE

KEYS = tuple(f"sk-load-test-{n}" for n in range(5))
RATE = 25.0
STOP_AFTER_S = 4.0


@dataclass
class Seen:
    """What the front door received: (arrival time, key, temperature) per request."""

    requests: list[tuple[float, str, float | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(seen: Seen) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            arrived = time.time()
            body = json.loads(self.rfile.read(int(self.headers["content-length"])) or b"{}")
            key = self.headers.get("authorization", "").removeprefix("Bearer ")
            with seen.lock:
                seen.requests.append((arrived, key, body.get("temperature")))
            if body.get("stream"):
                payload = (
                    b'event: start\ndata: {}\n\nevent: token\ndata: {"content": "hi"}\n\n'
                    b'event: done\ndata: {"provider": "p"}\n\n'
                    if self.path == "/v1/chat"
                    else b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'
                )
                kind = b"text/event-stream"
            else:
                payload = b'{"message": "hi", "conversation_id": "c", "provider": "p"}'
                kind = b"application/json"
            self.send_response(200)
            self.send_header("content-type", kind.decode())
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: object) -> None:
            return

    return Handler


@pytest.fixture
def front_door() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


TRANSIT_S = 0.01
"""Loopback transit from the client's check to the server's clock (the defect was 0.3 s)."""


def test_open_model_rotates_keys_keeps_the_mix_and_stops_on_time(
    front_door: tuple[str, Seen], tmp_path: Path
) -> None:
    """Arrivals use every load key about equally, about one in five is a temperature-0
    question, nothing reaches the server at or after stop-at, and Locust counts what the
    log holds."""
    url, seen = front_door
    config = LoadConfig(
        front_door=url,
        api_keys=KEYS,
        run_dir=str(tmp_path),
        duration=30.0,  # the stop-at file ends it long before
        arrival_rate=RATE,
        mix={"chat": 1, "stream": 1, "openai": 1},
        timeout=5.0,
        seed=3,
        exporter=False,
        stop_after=60.0,
    )
    path = write_config(tmp_path / LOAD_DIR / "config.json", msgspec.convert(config, LoadConfig))
    locust = LocustRun(run_dir=tmp_path, config_path=path, duration=30.0).start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not seen.requests:
            time.sleep(0.05)
        assert seen.requests, locust.log_tail()
        stop_at = round(time.time() + STOP_AFTER_S, 3)  # the value the file holds
        (tmp_path / LOAD_DIR / STOP_FILE).write_text(f"{stop_at:.3f}")
        assert locust.wait(60) is not None, locust.log_tail()
    finally:
        locust.stop()
    arrived = [t for t, _key, _temperature in seen.requests]
    # a request checked just before stop-at reaches the server a loopback transit later
    assert max(arrived) < stop_at + TRANSIT_S, max(arrived) - stop_at
    records = read_requests(tmp_path)
    assert max(r.t for r in records) < stop_at
    stats = json.loads((tmp_path / LOAD_DIR / "locust.json").read_text())
    assert sum(s["num_requests"] for s in stats) == len(records) == len(seen.requests)
    keys = Counter(key for _t, key, _temperature in seen.requests)
    assert set(keys) == set(KEYS)
    assert max(keys.values()) - min(keys.values()) <= 1  # round robin
    zero = sum(1 for _t, _key, temperature in seen.requests if temperature == 0.0)
    assert 0.08 <= zero / len(seen.requests) <= 0.35, (zero, len(seen.requests))
    assert all(r.outcome == "good" for r in records), Counter(r.reason for r in records)
