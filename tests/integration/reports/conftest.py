"""A real Prometheus whose storage holds known samples (promtool tsdb create-blocks-from
openmetrics), so saving and SLI math run against the real query engine."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.servers import PrometheusServer
from tests.fixtures.servers import skip_unless_required, start_or_skip

__all__ = ["KnownPrometheus", "known_prometheus"]

DURATION = 120
Sample = Callable[[int], float | None]


@dataclass(frozen=True)
class KnownPrometheus:
    server: PrometheusServer
    start: float
    """Unix seconds of the first sample; samples every second for DURATION seconds."""
    end: float


def _series(families: dict[str, tuple[str, list[tuple[str, Sample]]]], base: int) -> str:
    """OpenMetrics text: family -> (type, [(labelled sample name, value at offset)])."""
    lines: list[str] = []
    for family, (kind, members) in families.items():
        lines.append(f"# TYPE {family} {kind}")
        for name, value_at in members:
            for offset in range(DURATION + 1):
                value = value_at(offset)
                if value is not None:
                    lines.append(f"{name} {value} {base + offset}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _known_samples() -> dict[str, tuple[str, list[tuple[str, Sample]]]]:
    r1 = 'job="replica",instance="replica-1"'
    r2 = 'job="replica",instance="replica-2"'
    chat = 'route="/v1/chat",method="POST"'

    def errors(t: int) -> float:
        return float(max(0, min(t, 90) - 60))  # one 503 a second from +60 s to +90 s

    return {
        "up": ("gauge", [
            (f"up{{{r1}}}", lambda t: 1.0),
            # replica-2: scraped every other second, down at +10..+12 s (no fault then)
            (f"up{{{r2}}}", lambda t: None if t % 2 else (0.0 if 10 <= t <= 12 else 1.0)),
        ]),
        "chat_http_requests": ("counter", [
            (f'chat_http_requests_total{{{chat},status="200",{r1}}}', lambda t: 10.0 * t),
            (f'chat_http_requests_total{{{chat},status="503",{r1}}}', errors),
            (f'chat_http_requests_total{{route="/v1/health",method="GET",status="200",{r1}}}',
             lambda t: 5.0 * t),
        ]),
        "chat_breaker_transitions": ("counter", [
            (f'chat_breaker_transitions_total{{provider="openai",state="open",{r1}}}',
             lambda t: None if t < 65 else 1.0),
        ]),
        "chat_provider_failovers": ("counter", [
            (f'chat_provider_failovers_total{{from_provider="openai",to_provider="anthropic",'
             f'reason="error",{r1}}}', lambda t: float(max(0, t - 70))),
        ]),
        "chat_provider_attempts": ("counter", [
            (f'chat_provider_attempts_total{{provider="openai",outcome="success",kind="",{r1}}}',
             lambda t: 9.0 * t),
            (f'chat_provider_attempts_total{{provider="openai",outcome="error",kind="x",{r1}}}',
             lambda t: 2.0 * t),
        ]),
        "chat_breaker_state": ("gauge", [
            (f'chat_breaker_state{{provider="openai",{r1}}}',
             lambda t: 2.0 if 65 <= t < 95 else 0.0),
        ]),
        "fake_llm_requests": ("counter", [
            ('fake_llm_requests_total{vendor="openai",outcome="ok",job="provider",'
             'instance="fake-openai-1"}', lambda t: 11.0 * t),
        ]),
        "go_goroutines": ("gauge", [(f"go_goroutines{{{r1}}}", lambda t: 7.0)]),
    }  # fmt: skip


@pytest.fixture(scope="module")
def known_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnownPrometheus]:
    """Prometheus started on a TSDB made by promtool from the known samples above."""
    promtool = shutil.which("promtool")
    if promtool is None:
        skip_unless_required("prometheus", "promtool not on PATH (Debian package: prometheus)")
        raise AssertionError("unreachable")
    workdir = tmp_path_factory.mktemp("known-prometheus")
    base = int(time.time()) - 1800
    source = workdir / "samples.om"
    source.write_text(_series(_known_samples(), base), encoding="utf-8")
    (workdir / "data").mkdir()
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source),
         str(workdir / "data")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    server = PrometheusServer(workdir=Path(workdir))
    start_or_skip(server)
    try:
        yield KnownPrometheus(server=server, start=float(base), end=float(base + DURATION))
    finally:
        server.stop()
