"""The fake's request log: its lines are ``rundir.UpstreamRecord`` lines."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from prometheus_client import CollectorRegistry

from fakes.llm.app import ENV_REQUEST_LOG, from_env
from fakes.llm.engine import Decision, Hang, Reject, Reset, Serve
from fakes.llm.metrics import OUTCOMES, FakeMetrics
from fakes.llm.requestlog import Attempt, RequestLog, decision_outcome
from rundir import UpstreamRecord


def _fields(kind: type[msgspec.Struct]) -> list[tuple[str, object, object]]:
    return [(f.name, f.type, f.default) for f in msgspec.structs.fields(kind)]


def test_attempt_has_the_fields_of_upstream_record() -> None:
    """Same names, types and defaults, in the same order, as the run directory's Struct."""
    assert _fields(Attempt) == _fields(UpstreamRecord)


def test_lines_decode_as_upstream_records(tmp_path: Path) -> None:
    """Two writes through two logs on one file are two lines that decode as written."""
    path = tmp_path / "requests.jsonl"
    first, second = RequestLog(path), RequestLog(path)
    a = Attempt(
        t=1.5,
        rid="r-1",
        id="chatcmpl-fake1",
        vendor="openai",
        model="gpt-4o",
        status=200,
        outcome="ok",
        prompt_tokens=9,
        completion_tokens=12,
        latency_s=0.01,
    )
    b = Attempt(t=2.0, vendor="anthropic", status=0, outcome="reset")
    first.write(a)
    second.write(b)
    first.close()
    second.close()
    lines = path.read_bytes().splitlines()
    decoded = [msgspec.json.decode(line, type=UpstreamRecord) for line in lines]
    assert [msgspec.structs.asdict(r) for r in decoded] == [
        msgspec.structs.asdict(a),
        msgspec.structs.asdict(b),
    ]


@pytest.mark.parametrize(
    "decision",
    [
        Reject(status=401, reason="auth", fault="auth"),
        Reject(status=404, reason="model", fault="unknown_model"),
        Reject(status=400, reason="context", fault="context_length"),
        Reject(status=429, reason="quota", fault="quota_requests"),
        Reject(status=503, reason="outage", fault="outage"),
        Reject(status=500, reason="error", fault="error_500"),
        Reset(fault="error_reset"),
        Hang(max_s=1.0),
    ],
)
def test_outcome_is_the_one_the_metrics_count(decision: Decision) -> None:
    """``decision_outcome`` names the outcome ``FakeMetrics.decision`` counts."""
    metrics = FakeMetrics("openai", CollectorRegistry())
    metrics.decision(decision)
    counted = [
        outcome
        for outcome in OUTCOMES
        if metrics.registry.get_sample_value(
            "fake_llm_requests_total", {"vendor": "openai", "outcome": outcome}
        )
    ]
    assert counted == [decision_outcome(decision)]


def test_a_served_decision_is_ok_or_stream_fault() -> None:
    """Serving is ``ok``; serving a stream that breaks is ``stream_fault``."""
    assert decision_outcome(Serve(ttft_s=0, per_token_s=0)) == "ok"
    assert decision_outcome(Serve(ttft_s=0, per_token_s=0, stream_fault="close")) == "stream_fault"


def test_no_log_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``FAKE_LLM_REQUEST_LOG`` the app opens no request log."""
    monkeypatch.delenv(ENV_REQUEST_LOG, raising=False)
    assert from_env().request_log is None


def test_the_variable_opens_the_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``FAKE_LLM_REQUEST_LOG=PATH`` creates the file at start."""
    path = tmp_path / "log.jsonl"
    monkeypatch.setenv(ENV_REQUEST_LOG, str(path))
    app = from_env()
    assert app.request_log is not None
    assert path.exists()
    app.request_log.close()
