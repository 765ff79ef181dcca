"""The fault proxy with no toxics versus Redis direct: throughput ratio and added latency.

Throughput: ``redis-benchmark -t get,set -n N -c 32`` direct, then through the proxy.
Latency: one connection, a PING loop (raw socket, timed per round trip), direct then
proxied; the added p50/p99 is the difference. Direct and proxied runs alternate for
``--rounds`` rounds and the best round of each counts, so a neighbour's burst of CPU on a
shared 2-core machine skews the ratio less. Targets: proxied throughput at
least 50% of direct, p50 added latency under 200 microseconds.

    uv run python -m benchmarks proxy -- [--requests 100000] [--pings 5000]
                                         [--implementation embedded|real]
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import socket
import statistics
import subprocess
import time
from dataclasses import dataclass

from lab.servers import RedisServer
from lab.servers.toxiproxy import ToxiproxyServer

__all__ = ["main"]

_THROUGHPUT_TARGET = 0.50
_P50_TARGET_US = 200.0


@dataclass(frozen=True, slots=True)
class _Latency:
    p50_us: float
    p99_us: float


def _redis_benchmark(host: str, port: int, *, requests: int) -> dict[str, float]:
    """Requests per second per test (GET, SET) from redis-benchmark's CSV."""
    done = subprocess.run(
        ["redis-benchmark", "-h", host, "-p", str(port), "-t", "get,set",
         "-n", str(requests), "-c", "32", "--csv"],
        capture_output=True, text=True, timeout=90, check=True,
    )  # fmt: skip
    rows = csv.DictReader(io.StringIO(done.stdout))
    return {row["test"]: float(row["rps"]) for row in rows}


def _ping_latency(host: str, port: int, *, pings: int) -> _Latency:
    """p50/p99 of PING round trips on one connection (after a short warm-up)."""
    samples: list[float] = []
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(pings + 200):
            start = time.perf_counter_ns()
            conn.sendall(b"PING\r\n")
            reply = b""
            while not reply.endswith(b"\r\n"):
                reply += conn.recv(64)
            if i >= 200:
                samples.append((time.perf_counter_ns() - start) / 1000)
    cuts = statistics.quantiles(samples, n=100)
    return _Latency(p50_us=cuts[49], p99_us=cuts[98])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks proxy")
    parser.add_argument("--requests", type=int, default=50_000, help="redis-benchmark -n")
    parser.add_argument("--pings", type=int, default=5_000, help="latency samples")
    parser.add_argument("--rounds", type=int, default=3, help="alternating direct/proxied runs")
    parser.add_argument("--implementation", choices=("embedded", "real"), default="embedded")
    return parser


def main(argv: list[str]) -> int:
    """Run the comparison and print the table; 1 only if the run itself broke."""
    args = _parser().parse_args(argv)
    if shutil.which("redis-benchmark") is None:
        print("redis-benchmark not found on PATH: apt-get install -y redis-tools")
        return 1
    with RedisServer() as redis, ToxiproxyServer(implementation=args.implementation) as server:
        with server.client() as client:
            proxy = client.create(upstream=redis.address, name="bench_redis")
        direct: dict[str, float] = {}
        proxied: dict[str, float] = {}
        bases: list[_Latency] = []
        throughs: list[_Latency] = []
        for _ in range(max(args.rounds, 1)):
            for runs, port in ((direct, redis.port), (proxied, proxy.port)):
                for test, rps in _redis_benchmark(redis.host, port, requests=args.requests).items():
                    runs[test] = max(runs.get(test, 0.0), rps)
            bases.append(_ping_latency(redis.host, redis.port, pings=args.pings))
            throughs.append(_ping_latency(proxy.host, proxy.port, pings=args.pings))
        base = _Latency(min(x.p50_us for x in bases), min(x.p99_us for x in bases))
        through = _Latency(min(x.p50_us for x in throughs), min(x.p99_us for x in throughs))

    print(f"proxy: {args.implementation}; best of {args.rounds} rounds of redis-benchmark "
          f"-n {args.requests} -c 32 and {args.pings} PINGs on 1 connection")  # fmt: skip
    print(f"{'metric':<22}{'direct':>12}{'proxied':>12}{'ratio':>9}")
    ratios = []
    for test in ("SET", "GET"):
        ratio = proxied[test] / direct[test]
        ratios.append(ratio)
        print(f"{test + ' req/s':<22}{direct[test]:>12.0f}{proxied[test]:>12.0f}{ratio:>9.2f}")
    for label, a, b in (("p50 PING us", base.p50_us, through.p50_us),
                        ("p99 PING us", base.p99_us, through.p99_us)):  # fmt: skip
        print(f"{label:<22}{a:>12.1f}{b:>12.1f}{b / a:>9.2f}")
    added_p50 = through.p50_us - base.p50_us
    added_p99 = through.p99_us - base.p99_us
    print(f"added latency: p50 {added_p50:.1f} us, p99 {added_p99:.1f} us")
    throughput = min(ratios)
    verdicts = (
        (f"throughput >= {_THROUGHPUT_TARGET:.0%} of direct", throughput >= _THROUGHPUT_TARGET,
         f"{throughput:.0%}"),
        (f"added p50 < {_P50_TARGET_US:.0f} us", added_p50 < _P50_TARGET_US, f"{added_p50:.0f} us"),
    )  # fmt: skip
    for name, ok, value in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {value}")
    return 0
