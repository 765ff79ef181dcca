"""The fake OpenAI's throughput (one granian worker, no faults) against a fixed-JSON baseline.

``wrk`` (1 thread, 32 connections by default) posts a chat request for ``--duration`` seconds:
non-streaming, then streaming (about 35 tokens per answer, one SSE write with zero delays).
Baselines measured in the same run: minimal granian apps returning a fixed JSON body, ASGI
(the usual Python server stack) and RSGI (the fake's own interface). Target: the
fakes never bound a lab run, at least 3x the chat service's own throughput (its bench prints
that figure); here PASS means several thousand requests per second non-streaming on one
worker (``--target``, default 3000).

    uv run python -m benchmarks fakes -- [--duration 5] [--connections 32] [--target 3000]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from lab.net import free_port
from lab.servers import FakeLLMServer, ManagedServer

__all__ = ["main"]

_BASELINE_APPS = """
BODY = (
    b'{"id":"x","object":"chat.completion","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"fixed"},"finish_reason":"stop"}]}'
)
HEADERS_ASGI = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]


async def asgi_app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS_ASGI})
    await send({"type": "http.response.body", "body": BODY})


async def rsgi_app(scope, proto):
    if scope.proto != "http":
        return
    await proto()
    proto.response_bytes(200, [("content-type", "application/json")], BODY)
"""

_LUA = """
wrk.method = "POST"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
"""

_CHAT = (
    '{{"model":"gpt-4o-mini","stream":{stream},'
    '"messages":[{{"role":"user","content":"How do circuit breakers work?"}}]}}'
)


@dataclass(frozen=True, slots=True)
class _Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _wrk(name: str, url: str, script: Path, *, duration: int, connections: int) -> _Result:
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, timeout=duration + 30, check=True,
    )  # fmt: skip
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(g) for g in match.groups())
    return _Result(name, rps, p50, p99, errors)


class _Baseline(ManagedServer):
    """A minimal granian app (``interface``: asgi or rsgi) returning a fixed JSON body."""

    def __init__(self, interface: str, *, workdir: Path) -> None:
        self.name = f"baseline-{interface}"
        super().__init__(workdir=workdir)
        self.interface = interface
        self.url = f"http://{self.host}:{self.port}/v1/chat/completions"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "granian", "--interface", self.interface]
        cmd += ["--host", self.host, "--port", str(self.port), "--workers", "1"]
        return [*cmd, "--log-level", "warning", f"bench_baseline:{self.interface}_app"]

    def probe(self) -> bool:
        try:
            httpx.post(self.url, content=b"{}", timeout=0.5)
        except httpx.HTTPError:
            return False
        return True


def _baseline(
    interface: str, tmp: Path, script: Path, *, duration: int, connections: int
) -> _Result:
    with _Baseline(interface, workdir=tmp) as server:
        name = f"baseline {interface} fixed JSON"
        return _wrk(name, server.url, script, duration=duration, connections=connections)


def main(argv: list[str]) -> int:
    """Run the benchmark and print the table; 0 unless the run itself broke."""
    parser = argparse.ArgumentParser(prog="bench fakes", description=__doc__)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--target", type=float, default=3000.0, help="req/s, non-streaming")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): cannot run this benchmark")
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-fakes-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "bench_baseline.py").write_text(_BASELINE_APPS, encoding="utf-8")
        plain, stream = tmp / "plain.lua", tmp / "stream.lua"
        plain.write_text(_LUA.format(body=_CHAT.format(stream="false")), encoding="utf-8")
        stream.write_text(_LUA.format(body=_CHAT.format(stream="true")), encoding="utf-8")
        opts = {"duration": args.duration, "connections": args.connections}
        results = [
            _baseline("asgi", tmp, plain, **opts),
            _baseline("rsgi", tmp, plain, **opts),
        ]
        with FakeLLMServer("openai", port=free_port(), workdir=tmp) as fake:
            url = f"{fake.base_url}/chat/completions"
            results.append(_wrk("fake openai, non-streaming", url, plain, **opts))
            results.append(_wrk("fake openai, streaming", url, stream, **opts))
    base_asgi, base_rsgi = results[0].rps, results[1].rps
    print(f"wrk -t1 -c{args.connections} -d{args.duration}s, one granian worker, no faults")
    header = ("run", "req/s", "p50 ms", "p99 ms", "/asgi", "/rsgi", "errors")
    print("{:<30} {:>9} {:>8} {:>8} {:>6} {:>6} {:>6}".format(*header))
    for r in results:
        print(
            f"{r.name:<30} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{r.rps / base_asgi:>6.2f} {r.rps / base_rsgi:>6.2f} {r.errors:>6}"
        )
    fake_plain = results[2].rps
    verdict = "PASS" if fake_plain >= args.target else "FAIL"
    print(
        f"{verdict}: fake non-streaming {fake_plain:.0f} req/s vs target {args.target:.0f} req/s "
        "(aim: >= 3x the chat service's throughput, see `python -m benchmarks service`)"
    )
    if any(r.errors for r in results):
        print("the run broke: some requests failed (see the errors column)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
