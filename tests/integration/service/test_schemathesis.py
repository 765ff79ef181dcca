"""Schemathesis, a real fuzzer, over the live service: the OpenAPI document describes what
the service does, in both directions (what it allows is accepted, what it forbids is
refused), and no input makes a 5xx.

The run: every check (``--checks all``: status codes, content types, headers, response
schemas, positive and negative data, ``Allow``, auth, use after free, ...), every phase
(examples, coverage, fuzzing and the stateful phase over the links it infers), seed 1,
``EXAMPLES`` examples per operation and phase (hypothesis's ``max_examples``; the test
asserts at least that many per operation with inputs, in total), deterministic
generation, one worker (see ``_run``). Narrowed, each with its reason:
``schemathesis.toml`` beside this file (one check's expected statuses on one operation: the
opaque pagination cursor). The service runs as a process (``python -m service``) over the
fake OpenAI, with the memory store.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from lab.servers import FakeLLMServer
from tests.fixtures.service import ServiceProcess, provider_config

HERE = Path(__file__).parent
SEED = 1
EXAMPLES = 15
"""``--max-examples``: test cases per operation and phase."""
KEY = "sk-fuzz"


@pytest.fixture
def live(fake_openai: FakeLLMServer, service_process: Any) -> ServiceProcess:
    """The service with a fuzzer's key (a tier it cannot exhaust) over the fake OpenAI."""
    fake_openai.reset()
    provider = provider_config("openai", "openai", fake_openai.base_url)
    service: ServiceProcess = service_process(
        {
            "CHAT_API_KEYS": f"{KEY}:fuzzer",
            "CHAT_RATE_TIERS": "default=100000/60",
            "CHAT_PROVIDERS": json.dumps([msgspec.to_builtins(provider)]),
        },
        timeout=60,
    )
    return service


def _run(service: ServiceProcess, report: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-c",
        # hypothesis prints strategies by parsing lambdas' source: near the default
        # recursion limit that parse fails (an internal error, not a finding)
        "import sys; sys.setrecursionlimit(20000); "
        "from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{service.url}/docs/openapi.json",
        "--checks=all",
        "--phases=examples,coverage,fuzzing,stateful",
        f"--seed={SEED}",
        f"--max-examples={EXAMPLES}",
        # One worker: CPython 3.11's ast is not thread-safe (two threads in ast.parse, as
        # hypothesis does to describe lambdas, fail with "AST constructor recursion depth
        # mismatch" at random), and schemathesis' workers are threads.
        "--workers=1",
        f"--header=Authorization: Bearer {KEY}",
        "--request-timeout=20",
        "--generation-deterministic",
        "--no-color",
        "--report=json",
        f"--report-json-path={report}",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.timeout(330)  # about 30 s on an idle 2-core machine; far more when loaded
def test_schemathesis_finds_nothing(live: ServiceProcess, tmp_path: Path) -> None:
    """Every check and phase of schemathesis passes over the live service: at least
    ``EXAMPLES`` cases for each operation with inputs, each operation reached with valid
    input at least once."""
    report_path = tmp_path / "schemathesis.json"
    result = _run(live, report_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    report = json.loads(report_path.read_text())
    assert report["operations"]["tested"] == report["operations"]["total"] == 7
    assert {name: phase["status"] for name, phase in report["phases"].items()} == {
        "examples": report["phases"]["examples"]["status"],  # skipped: no examples given
        "coverage": "success",
        "fuzzing": "success",
        "stateful": "success",
    }
    assert report["test_cases"]["generated"] >= EXAMPLES * 5  # five operations have inputs
    accepted = {
        operation: sum(counts["accepted"] for counts in phases.values())
        for operation, phases in report["valid_rates"].items()
    }
    assert len(accepted) == 7
    assert all(count >= 1 for count in accepted.values()), accepted  # each reached its logic
