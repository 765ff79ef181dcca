"""How long the lab takes to be ready: ``chaoslab up --phase v3`` until every part answers.

Measured in one run, ``ROUNDS`` times each, medians printed:

- ``one replica`` (the baseline): a single service replica (``python -m service`` on an
  in-memory store, no Redis, one fake provider already running) from spawn to
  ``/v1/ready``: the floor a parallel start cannot go below, since a stack waits for its
  slowest replica;
- ``up v3``: ``lab.stack.up("v3")`` (the supervisor process, Redis, PostgreSQL from the
  initdb template, three fakes, the fault proxy with 15 routes, three replicas, HAProxy,
  Prometheus) until ``up`` returns, then ``down`` (timed too).

The ratio ``up v3 / one replica`` says how much the stack costs beyond the one process it
cannot avoid. Target: up v3 under 10 s on a 2-core machine.

``MEASUREMENTS`` is a list of functions, each returning rows: add a figure by appending
one. Usage: ``python -m benchmarks lab [-- --rounds 3 --phase v3]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MEASUREMENTS", "Row", "main"]

TARGET_S = 10.0


@dataclass(frozen=True)
class Row:
    name: str
    seconds: float
    note: str = ""


@dataclass(frozen=True)
class Options:
    rounds: int
    phase: str


def one_replica(options: Options) -> list[Row]:
    """Spawn to ready of one replica with nothing but a fake provider behind it."""
    import json

    from lab.servers import FakeLLMServer, ServiceReplica
    from lab.stack.config import MODEL, VENDOR_MODELS

    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-lab-") as tmp, FakeLLMServer("openai") as fake:
        chain = [{"name": "openai", "kind": "openai", "api_key": "sk-bench",
                  "base_url": fake.base_url, "model_map": {MODEL: VENDOR_MODELS["openai"]}}]  # fmt: skip
        env = {"CHAT_API_KEYS": "sk-bench:bench", "CHAT_PROVIDERS": json.dumps(chain)}
        for n in range(options.rounds):
            replica = ServiceReplica(env=env, name=f"replica-{n}", workdir=Path(tmp) / str(n))
            started = time.monotonic()
            replica.start()
            times.append(time.monotonic() - started)
            replica.stop()
    return [Row("one replica (baseline)", statistics.median(times))]


def up_phase(options: Options) -> list[Row]:
    """``up`` of the phase until it returns (every part ready), then ``down``."""
    from lab.stack import down, up

    ups: list[float] = []
    downs: list[float] = []
    parts = 0
    for _ in range(options.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-lab-up-") as tmp:
            started = time.monotonic()
            stack = up(options.phase, run_dir=Path(tmp), timeout=180)
            ups.append(time.monotonic() - started)
            parts = len(stack.components)
            started = time.monotonic()
            down(Path(tmp))
            downs.append(time.monotonic() - started)
    return [
        Row(f"up {options.phase}", statistics.median(ups), f"{parts} components"),
        Row(f"down {options.phase}", statistics.median(downs)),
    ]


MEASUREMENTS: list[Callable[[Options], list[Row]]] = [one_replica, up_phase]
"""Each returns rows; the first row of the first function is the baseline."""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench lab", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="repetitions (medians shown)")
    parser.add_argument("--phase", default="v3")
    args = parser.parse_args(argv)
    options = Options(rounds=max(1, args.rounds), phase=args.phase)
    rows = [row for measure in MEASUREMENTS for row in measure(options)]
    baseline = rows[0].seconds
    print(f"medians of {options.rounds} rounds; baseline: {rows[0].name}")
    print("{:<26} {:>9} {:>10}  {}".format("run", "seconds", "/baseline", "note"))
    for row in rows:
        print(f"{row.name:<26} {row.seconds:>9.2f} {row.seconds / baseline:>10.2f}  {row.note}")
    up_row = next(r for r in rows if r.name.startswith("up "))
    verdict = "PASS" if up_row.seconds < TARGET_S else "FAIL"
    print(f"{verdict}: {up_row.name} ready in {up_row.seconds:.1f} s vs target {TARGET_S:g} s")
    return 0
