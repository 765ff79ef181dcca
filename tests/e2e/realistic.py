"""Helpers of the realistic-provider e2e tests (issue 20): run a scenario with the phase
file, or a copy with some service flags changed (``--phases FILE``), and read the report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.e2e.campaign import ROOT, Done, chaoslab

PHASES = ROOT / "lab" / "phases.toml"


def phases_with(workdir: Path, name: str, **flags: bool | int) -> Path:
    """A copy of lab/phases.toml with every phase's ``[*.service]`` flags set as given
    (added to each service table when the file does not set them)."""
    text = PHASES.read_text(encoding="utf-8")
    for key, value in flags.items():
        literal = ("true" if value else "false") if isinstance(value, bool) else str(value)
        text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {literal}", text)
        if not count:
            text = re.sub(r"(?m)^(\[\w+\.service\]\n)", rf"\g<1>{key} = {literal}\n", text)
    path = workdir / name
    path.write_text(text, encoding="utf-8")
    return path


def run(workdir: Path, phase: str, scenario: str, *args: str, name: str) -> Done:
    """``chaoslab run --phase P --scenario S --seed 7 --fresh ARGS`` into ``workdir/name``."""
    return chaoslab(workdir, "run", "--phase", phase, "--scenario", scenario, "--seed", "7",
                    "--fresh", *args, out=workdir / name)  # fmt: skip


def report(done: Done) -> dict[str, Any]:
    return done.json("report.json")


def streams(done: Done) -> dict[str, Any]:
    """The report's stream SLIs (``ttft`` quantiles, ``tokens_per_s_p50``, ...)."""
    sli: dict[str, Any] = report(done)["llm"]["sli"]
    return sli


def verdict(done: Done, name: str) -> dict[str, Any]:
    """The report's verdict on one target (``availability``, ``latency_p95``, ``ttft_p95``)."""
    found: dict[str, Any] = next(v for v in report(done)["verdicts"] if v["name"] == name)
    return found


def check_values(done: Done, name: str) -> list[tuple[str, float | None]]:
    """``(state, value)`` of every span an LLM-aware check judged."""
    checks = report(done)["llm"]["checks"]
    return [(c["state"], c["value"]) for c in checks if c["name"] == name]


def upstream_attempts(done: Done) -> float:
    """Upstream attempts per client request over the whole run (the fakes' count)."""
    whole = next(u for u in report(done)["llm"]["upstream"] if u["window"] is None)
    return float(whole["attempts_per_request"])
