"""Service overhead and throughput against an instant upstream, beside a bare gateway.

Measured in one run, with ``wrk`` (pinned with ``taskset`` to core 0, with the upstream
and Redis; the gateway under test on core 1, when the machine has two cores or more):

- ``direct``: wrk straight at the instant OpenAI-shaped upstream (the floor);
- ``bare``: a bare baseline gateway, Litestar + the ``openai`` SDK call, nothing else;
- ``bare-raw``: the same gateway sending the same request through the SDK's ``post``
  without its per-call parameter transform, as the service's adapter does (about 0.25 ms
  of CPU less per call): informative, the service's features at equal SDK cost;
- ``service``: the full chat service (``python -m service``: auth, Redis rate limit,
  response-cache lookup, metrics, JSON access log) on one granian worker.

- ``sampled``: the same service with temperature-0.7 requests, which skip the response
  cache (no cache I/O): the cost of the cache lookup and write is the difference.

Each at 1 connection (p50, p99) and the gateways at 32 connections (requests/s), with
the CPU time each server process spent per request (from ``/proc``): on a shared box
that figure is steadier than throughput, and ``bare / service`` CPU per request is the
throughput ratio the service would reach on a quiet core. Every
request is a distinct temperature-0 completion, so the service looks up (and fills) its
response cache on every call without ever answering from it. Targets: p50
overhead over the direct call under 2 ms; service throughput >= 70 % of the bare gateway.

Each run is repeated ``ROUNDS`` times, interleaved, and the medians are reported: on a
shared 2-core box the noise comes in spells, and interleaving spreads it over every row.

Usage: ``python -m benchmarks service [-- --seconds 2]``. Internal: ``--serve-upstream
PORT``, ``--serve-bare PORT UPSTREAM`` and ``--serve-bare-raw PORT UPSTREAM`` run the
helper servers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, post

__all__ = ["bare_app", "main"]

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 3
"""Each measurement is repeated this many times, interleaved; the table shows medians."""
KEY = "sk-bench"
MODEL = "chat-small"
_COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello from the instant upstream."},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11},
    }
).encode()
_MODELS = json.dumps(
    {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "x"}]}
).encode()


# -- the instant upstream: a minimal OpenAI-shaped HTTP/1.1 server ------------------------


class _Upstream(asyncio.Protocol):
    """Answers every POST with a fixed chat.completion and every GET with a model list."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            body = _COMPLETION if head.startswith("POST") else _MODELS
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )


async def _serve_upstream(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Upstream, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


# -- the bare baseline gateway ----------------------------------------------------------


def bare_app(upstream: str, *, raw: bool = False) -> Litestar:
    """Litestar + the openai SDK call, nothing else (the baseline).

    ``raw``: the call goes through ``client.post`` with the JSON body as is, skipping the
    SDK's per-call parameter transform, as the service's OpenAI adapter does: beside the
    service it shows what the service's own features cost at equal SDK cost.
    """
    import openai
    from openai.types.chat import ChatCompletion

    client = openai.AsyncOpenAI(
        base_url=upstream, api_key="x", max_retries=0, http_client=openai.DefaultAioHttpClient()
    )

    @post("/v1/chat/completions", status_code=200)
    async def completions(request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.json()
        params = {
            "model": "gpt-4o-mini",
            "messages": body["messages"],
            "temperature": body.get("temperature"),
        }
        if raw:
            completion = await client.post(
                "/chat/completions",
                body=params,
                cast_to=ChatCompletion,
                options={"security": {"bearer_auth": True}},
            )
        else:
            completion = await client.chat.completions.create(**params)
        return Response(completion.model_dump_json().encode(), media_type="application/json")

    return Litestar([completions], logging_config=None)


async def _serve_app(app: Any, port: int) -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    server = Server(
        app,
        port=port,
        interface=Interfaces.ASGI,
        log_level=LogLevels.warning,
        backlog=2048,
    )
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, server.stop)
    await server.serve()


def _run(coro: Any) -> None:
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coro)


# -- measurement ------------------------------------------------------------------------

_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
local n = 0
request = function()
  n = n + 1
  local body = '{"model": "%s", "temperature": %s, "messages": [{"role": "user", "content": "%s '
    .. n .. '"}]}'
  return wrk.format(nil, "/v1/chat/completions", nil, body)
end
"""


def _pin(core: int | None) -> list[str]:
    if core is None or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", str(core)]


def _wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    script: Path,
    core: int | None,
    temperature: float = 0.0,
) -> dict[str, float]:
    """Run wrk and return rps, p50 and p99 (milliseconds). Every request of every run
    carries a distinct message (a fresh run id and a counter), so none is a cache hit."""
    script.write_text(_LUA % (KEY, MODEL, temperature, uuid.uuid4().hex))
    command = [
        *_pin(core), "wrk", "--latency", "-t1", f"-c{connections}", f"-d{seconds:g}s",
        "-s", str(script), url,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 30)
    if out.returncode != 0:
        raise RuntimeError(
            f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout[-300:]}"
        )
    text = out.stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),  # type: ignore[union-attr]
        # anchored: the thread-stats line ends in a percentage too ("71.50%")
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)),  # type: ignore[union-attr]
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _ms(value: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", value)
    if match is None:
        return float("nan")
    number, unit = float(match.group(1)), match.group(2)
    return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number


@contextmanager
def _process(
    command: list[str], *, env: dict[str, str] | None = None, port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    from lab.net import is_listening

    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not is_listening("127.0.0.1", port, timeout=0.2):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[-1]} did not start: {log.read_text()[-500:]}")
            time.sleep(0.05)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _warm(url: str, script: Path, core: int | None) -> None:
    _wrk(url, connections=4, seconds=1, script=script, core=core)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks service")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each wrk run")
    parser.add_argument("--serve-upstream", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument(
        "--serve-bare", nargs=2, metavar=("PORT", "UPSTREAM"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--serve-bare-raw", nargs=2, metavar=("PORT", "UPSTREAM"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.serve_upstream:
        _run(_serve_upstream(args.serve_upstream))
        return 0
    if args.serve_bare:
        _run(_serve_app(bare_app(args.serve_bare[1]), int(args.serve_bare[0])))
        return 0
    if args.serve_bare_raw:
        _run(_serve_app(bare_app(args.serve_bare_raw[1], raw=True), int(args.serve_bare_raw[0])))
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 1
    try:
        return _bench(args.seconds)
    except (RuntimeError, subprocess.SubprocessError, AttributeError) as exc:
        print(f"bench service broke: {exc}", file=sys.stderr)
        return 1


def _bench(seconds: float) -> int:
    from lab.net import free_port
    from lab.servers import RedisServer

    cores = os.cpu_count() or 1
    load_core, app_core = (0, 1) if cores >= 2 else (None, None)
    workdir = Path(tempfile.mkdtemp(prefix="bench-service-"))
    script = workdir / "post.lua"
    py = [sys.executable, "-m", "benchmarks.bench_service"]
    up_port, bare_port, svc_port = free_port(), free_port(), free_port()
    raw_port = free_port()
    upstream = f"http://127.0.0.1:{up_port}/v1"
    providers = [
        {
            "name": "instant",
            "kind": "openai",
            "api_key": "x",
            "base_url": upstream,
            "model_map": {MODEL: "gpt-4o-mini"},
        }
    ]
    with RedisServer() as redis:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CHAT_")},
            "CHAT_PORT": str(svc_port),
            "CHAT_API_KEYS": f"{KEY}:bench",
            "CHAT_RATE_TIERS": "default=100000000/60",
            "CHAT_PROVIDERS": json.dumps(providers),
            "CHAT_REDIS_URL": redis.url,
            "CHAT_STORE_URL": "memory://",
        }
        if load_core is not None and redis.pid is not None:
            subprocess.run(
                ["taskset", "-p", "-c", str(load_core), str(redis.pid)],
                capture_output=True,
                check=False,
            )
        up_cmd = [*_pin(load_core), *py, "--serve-upstream", str(up_port)]
        bare_cmd = [*_pin(app_core), *py, "--serve-bare", str(bare_port), upstream]
        raw_cmd = [*_pin(app_core), *py, "--serve-bare-raw", str(raw_port), upstream]
        svc_cmd = [*_pin(app_core), sys.executable, "-m", "service"]
        with (
            _process(up_cmd, port=up_port, log=workdir / "upstream.log") as up_proc,
            _process(bare_cmd, port=bare_port, log=workdir / "bare.log") as bare_proc,
            _process(raw_cmd, port=raw_port, log=workdir / "bare-raw.log") as raw_proc,
            _process(svc_cmd, env=env, port=svc_port, log=workdir / "service.log") as svc_proc,
        ):
            pids = {
                "direct": up_proc.pid,
                "bare": bare_proc.pid,
                "bare-raw": raw_proc.pid,
                "service": svc_proc.pid,
                "sampled": svc_proc.pid,
            }
            targets = {
                "direct": f"http://127.0.0.1:{up_port}",
                "bare": f"http://127.0.0.1:{bare_port}",
                "bare-raw": f"http://127.0.0.1:{raw_port}",
                "service": f"http://127.0.0.1:{svc_port}",
                "sampled": f"http://127.0.0.1:{svc_port}",
            }
            for url in targets.values():
                _warm(url, script, load_core)
            rounds: list[dict[str, dict[str, float]]] = []
            for _ in range(ROUNDS):  # interleaved, so slow spells of a shared box hit all
                one: dict[str, dict[str, float]] = {}
                runs = [(name, 1) for name in targets if name != "bare-raw"]
                runs += [("bare", 32), ("bare-raw", 32), ("service", 32), ("sampled", 32)]
                for name, conns in runs:
                    cpu = _cpu_seconds(pids[name])
                    run = _wrk(
                        targets[name],
                        connections=conns,
                        seconds=seconds,
                        script=script,
                        core=load_core,
                        temperature=0.7 if name == "sampled" else 0.0,
                    )
                    served = run["rps"] * seconds
                    run["cpu_ms"] = (_cpu_seconds(pids[name]) - cpu) * 1000 / max(served, 1.0)
                    one[f"{name}@{conns}"] = run
                rounds.append(one)
            results = {
                run: {k: statistics.median(r[run][k] for r in rounds) for k in rounds[0][run]}
                for run in rounds[0]
            }
    return _report(results, pinned=load_core is not None, workdir=workdir)


def _report(results: dict[str, dict[str, float]], *, pinned: bool, workdir: Path) -> int:
    direct, bare1, svc1 = results["direct@1"], results["bare@1"], results["service@1"]
    bare32, svc32 = results["bare@32"], results["service@32"]
    print(f"wrk pinned to core 0, gateways to core 1: {'yes' if pinned else 'no (1 core)'}")
    print(f"medians of {ROUNDS} interleaved rounds")
    head = f"{'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'cpu ms/req':>10}"
    print(f"{'run':<12} {'conns':>5} {head}")
    for name, r in results.items():
        target, conns = name.split("@")
        row = f"{r['rps']:>10.0f} {r['p50']:>8.3f} {r['p99']:>8.3f} {r['errors']:>8.0f}"
        row += f" {r['cpu_ms']:>10.3f}"
        print(f"{target:<12} {conns:>5} {row}")
    overhead50 = svc1["p50"] - direct["p50"]
    overhead99 = svc1["p99"] - direct["p99"]
    bare_overhead50 = bare1["p50"] - direct["p50"]
    ratio = svc32["rps"] / bare32["rps"] if bare32["rps"] else 0.0
    print()
    print(f"service p50 overhead over direct: {overhead50:.3f} ms")
    print(f"bare gateway p50 overhead over direct: {bare_overhead50:.3f} ms")
    print(f"service p99 overhead over direct: {overhead99:.3f} ms")
    print(f"service p50 / bare p50 at 1 conn: {svc1['p50'] / bare1['p50']:.2f}x")
    rates = f"{svc32['rps']:.0f} / {bare32['rps']:.0f} req/s"
    print(f"service / bare throughput at 32 conns: {ratio:.2f} ({rates})")
    sampled32 = results["sampled@32"]
    sampled = sampled32["rps"] / bare32["rps"] if bare32["rps"] else 0.0
    print(f"sampled (no cache I/O) / bare throughput at 32 conns: {sampled:.2f}")
    print(f"sampled p50 overhead over direct: {results['sampled@1']['p50'] - direct['p50']:.3f} ms")
    raw32 = results["bare-raw@32"]
    equal = svc32["rps"] / raw32["rps"] if raw32["rps"] else 0.0
    print(f"service / bare-raw throughput at 32 conns (equal SDK cost): {equal:.2f}")
    cpu_ratio = bare32["cpu_ms"] / svc32["cpu_ms"] if svc32["cpu_ms"] else 0.0
    print(f"bare / service CPU per request at 32 conns: {cpu_ratio:.2f} (throughput bound)")
    print(f"p50 overhead < 2 ms: {'PASS' if overhead50 < 2.0 else 'FAIL'}")
    print(f"throughput >= 70% of bare: {'PASS' if ratio >= 0.70 else 'FAIL'}")
    if any(r["errors"] for r in results.values()):
        print(f"warning: non-2xx answers; the servers' logs are kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
