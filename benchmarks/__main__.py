"""Run benchmarks: ``python -m benchmarks [NAME ...] [-- ARGS]``; no name runs them all.

Example: ``python -m benchmarks proxy fakes``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def _available() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    names, _, rest = (
        (argv[: argv.index("--")], None, argv[argv.index("--") + 1 :])
        if "--" in argv
        else (argv, None, [])
    )
    available = _available()
    unknown = [n for n in names if n not in available]
    if unknown:
        print(
            f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(available)}",
            file=sys.stderr,
        )
        return 2
    failed = 0
    for name in names or available:
        print(f"\n=== bench {name} ===", flush=True)
        started = time.monotonic()
        module = importlib.import_module(f"benchmarks.bench_{name}")
        code = int(module.main(list(rest)))
        print(f"=== bench {name}: exit {code} in {time.monotonic() - started:.1f}s ===", flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
