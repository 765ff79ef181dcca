"""The LLM-aware checks fail where the behaviour is missing and pass where it is on: real
`chaoslab run`s of a provider outage on the local backend, each bringing its own stack up
and down, judged from the report the run writes.

- V3 as the phase file has it (breakers, failover, retry budget): every check passes.
- V3 with those switched off through a phase file given with ``--phases`` (the behaviour
  off, the thresholds kept): attempts per request, breaker reaction, failover time and the
  run-scaled burn rate fail.
- A one-provider chain (V1's topology) with V1's flags fails the breaker check; the same
  chain with the breaker on passes it: "a chain of one provider included" (two more stacks:
  only with ``CHAOSLAB_E2E_ALL=1``; in CI the check is judged on built runs in
  ``tests/unit/reports/test_llmchecks.py`` and a lone provider's breaker opens on a real
  service in ``tests/integration/service/test_resilience.py``).

The mixed-answer check's failing side is `tests/integration/experiments/
test_mixed_answer_check.py` (the service never mixes, so a broken stream path is built
there on purpose); its passing side is the V3 run here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.campaign import LONG
from tests.e2e.conftest import Finished, outage_run

ROOT = Path(__file__).resolve().parents[2]
PHASES = ROOT / "lab" / "phases.toml"
pytestmark = pytest.mark.timeout(900)

V3_OFF = {
    "CHAT_BREAKER_ENABLED": "false",
    "CHAT_FAILOVER_ENABLED": "false",
    "CHAT_RETRY_BUDGET_ENABLED": "false",
    "CHAT_HEDGE_AFTER_MS": "0",
}
ONE_PROVIDER_CHECKS = "checks = { breaker_opens_within_failures = 50 }"
# the one-provider chain with its breaker on: a short window so it reacts at the lab's load
BREAKER_ON = {
    "CHAT_BREAKER_ENABLED": "true",
    "CHAT_BREAKER_WINDOW_SECONDS": "2.0",
    "CHAT_BREAKER_MIN_CALLS": "10",
}


def phase_text(source: str, new: str, *, flags: dict[str, str], checks: str | None = None) -> str:
    """Phase ``source`` of lab/phases.toml as phase ``new``, with service ``flags`` set (or
    replaced) and its ``checks = ...`` line replaced."""
    text = PHASES.read_text(encoding="utf-8")
    start = text.index(f"[{source}]\n")
    following = re.search(r"^\[[a-z0-9]+\]\n", text[start + 1 :], flags=re.MULTILINE)
    section = text[start : start + 1 + following.start()] if following else text[start:]
    section = section.replace(f"[{source}]", f"[{new}]").replace(
        f"[{source}.service]", f"[{new}.service]"
    )
    if checks is not None:
        section = re.sub(r"^checks = .*$", checks, section, flags=re.MULTILINE)
    for key, value in flags.items():
        line = f"{key} = {value}"
        if re.search(rf"^{key} = ", section, flags=re.MULTILINE):
            section = re.sub(rf"^{key} = .*$", line, section, flags=re.MULTILINE)
        else:
            section = section.rstrip("\n") + f"\n{line}\n"
    return section.rstrip("\n") + "\n\n"


@pytest.fixture(scope="module")
def phase_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("phases") / "phases.toml"
    path.write_text(
        phase_text("v3", "v3off", flags=V3_OFF)
        + phase_text("v1", "v1k", flags={}, checks=ONE_PROVIDER_CHECKS)
        + phase_text("v1", "v1b", flags=BREAKER_ON, checks=ONE_PROVIDER_CHECKS),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def v3(outage_v3: Finished) -> Finished:
    """The same run test_run_provider_outage judges (one stack less)."""
    return outage_v3


@pytest.fixture(scope="module")
def v3off(tmp_path_factory: pytest.TempPathFactory, phase_file: Path) -> Finished:
    return outage_run("v3off", tmp_path_factory.mktemp("llm-v3off"), phases=phase_file)


@pytest.fixture(scope="module")
def v1k(tmp_path_factory: pytest.TempPathFactory, phase_file: Path) -> Finished:
    return outage_run("v1k", tmp_path_factory.mktemp("llm-v1k"), phases=phase_file)


@pytest.fixture(scope="module")
def v1b(tmp_path_factory: pytest.TempPathFactory, phase_file: Path) -> Finished:
    return outage_run("v1b", tmp_path_factory.mktemp("llm-v1b"), phases=phase_file)


def test_the_phase_file_helper_writes_phases_the_lab_accepts(phase_file: Path) -> None:
    from lab.phases import load_phases

    phases = load_phases(phase_file)
    assert set(phases) == {"v3off", "v1k", "v1b"}
    assert phases["v3off"].service["CHAT_BREAKER_ENABLED"] is False
    assert phases["v3off"].checks.breaker_opens_within_failures == 20
    assert phases["v1b"].service["CHAT_BREAKER_ENABLED"] is True
    assert len(phases["v1b"].providers) == 1


def test_v3_passes_every_check_with_its_behaviour_on(v3: Finished) -> None:
    report = v3.report
    assert "Traceback" not in v3.output
    for name in ("max_attempts_per_request", "breaker_opens_within_failures", "failover_s",
                 "mixed_answers", "burn_rate"):  # fmt: skip
        assert set(v3.states(name)) == {"pass"}, (name, report["llm"]["checks"])
    assert report["status"] != "breached", report["summary"]
    llm = report["llm"]
    assert llm["marked_answers"] > 0
    assert llm["mixed_answers"] == 0
    assert {b["replica"] for b in llm["breakers"]} == {"replica-1", "replica-2", "replica-3"}
    # with the Retry-After cooldown (CHAT_RETRY_AFTER_FAILOVER) a replica may send too few
    # failed attempts to open its breaker in a short outage: the check judges both cases
    from lab.phases import load_phases

    limit = load_phases()["v3"].checks.breaker_opens_within_failures or 0
    assert all(b["opened"] or b["failures"] <= limit for b in llm["breakers"])
    assert llm["failovers"][0]["next_provider"] in {"anthropic", "openai-2"}
    spans = {s["window"]: s for s in llm["upstream"]}
    assert spans["steady"]["attempts_per_request"] == pytest.approx(1.0, abs=0.05)
    assert spans["outage"]["attempts"] > spans["outage"]["reached"]  # the failed tries


def test_v3_without_its_mechanisms_fails_the_checks(v3off: Finished) -> None:
    report = v3off.report
    states = {c["name"]: c["state"] for c in report["llm"]["checks"] if c["window"] is not None}
    assert v3off.states("max_attempts_per_request")[1:] == ["fail"], report["llm"]["checks"]
    assert states["breaker_opens_within_failures"] == "fail"
    assert states["failover_s"] == "fail"
    assert v3off.states("burn_rate") == ["fail"]
    assert report["status"] == "breached"
    assert not any(b["opened"] for b in report["llm"]["breakers"])
    assert report["llm"]["failovers"][0]["seconds"] is None


@pytest.mark.skipif(not LONG, reason="two more stacks: CHAOSLAB_E2E_ALL=1")
def test_a_one_provider_chain_without_a_breaker_fails_and_with_one_passes(
    v1k: Finished, v1b: Finished
) -> None:
    """V1's flags (no breaker): the chain's only provider absorbs every failure; the same
    chain with the breaker on stops calling it within the bound."""
    assert v1k.states("breaker_opens_within_failures") == ["fail"], v1k.report["llm"]
    assert v1b.states("breaker_opens_within_failures") == ["pass"], v1b.report["llm"]
    (reaction,) = v1b.report["llm"]["breakers"]
    assert reaction["opened"]
    assert reaction["failures_at_open"] <= 50
