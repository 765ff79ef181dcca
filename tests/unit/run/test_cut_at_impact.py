"""Streams a fault cut at its start, past their first token, are the fault's own cost: the
steady-state check leaves them out (and counts them); every other failure still counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from chaoslab.run.live import LiveStats
from chaoslab.run.steady import cut_at_impact, planned_checks, steady_check
from rundir import Component, RequestRecord, Stack, Targets
from scenarios import injector as injector_module
from scenarios.injector import Injector, StartedFault
from scenarios.loader import load_scenario
from scenarios.model import Scenario

FAULT_AT = 1_800_000_030.0
FROZEN = StartedFault("freeze", FAULT_AT, ("fake-openai",), True)
TARGET = 0.999


def _stack() -> Stack:
    """Two marked provider fakes, as the local backend starts them (openai marks 1)."""
    providers = tuple(
        Component(
            name=f"fake-{name}",
            kind="provider",
            index=mark,
            provider=name,
            vendor=name,
            extra={"mark": mark},
        )
        for mark, name in ((1, "openai"), (2, "anthropic"))
    )
    return Stack(phase="v3", front_door="http://127.0.0.1:1", api_key="sk-lab",
                 targets=Targets(availability=TARGET, latency_p95_s=3.0, ttft_p95_s=1.5),
                 components=providers)  # fmt: skip


def _stream(
    t: float,
    *,
    ttft: float | None = 0.9,
    latency: float = 4.0,
    marks: tuple[int, ...] | None = (1,),
    outcome: str = "failure",
    stream: bool = True,
) -> RequestRecord:
    """A stream sent at ``t`` (by default cut mid-answer on the provider marked 1)."""
    return RequestRecord(t=t, user="stream", name="/v1/chat/stream", outcome=outcome,  # type: ignore[arg-type]
                         reason="stream_error" if outcome == "failure" else "ok", status=200,
                         latency_s=latency, ttft_s=ttft, stream=stream, marks=marks)  # fmt: skip


# -- the rule -------------------------------------------------------------------------


def test_a_stream_cut_on_the_faulted_provider_past_its_first_token_is_cut_at_impact() -> None:
    """First token 2.1 s before the freeze, cut 1 s after it, text from the frozen provider."""
    assert cut_at_impact(_stream(FAULT_AT - 3.0), FROZEN, _stack())


def test_a_fault_recorded_before_takes_out_existed_counts_as_taking_out() -> None:
    """``takes_out`` None (a run that did not say) reads as taking out."""
    fault = StartedFault("freeze", FAULT_AT, ("fake-openai",), None)
    assert cut_at_impact(_stream(FAULT_AT - 3.0), fault, _stack())


@pytest.mark.parametrize(
    ("record", "why"),
    [
        (_stream(FAULT_AT - 0.5), "first token after the fault started"),
        (_stream(FAULT_AT + 1.0), "sent after the fault started"),
        (_stream(FAULT_AT - 6.0), "ended before the fault started"),
        (_stream(FAULT_AT - 3.0, ttft=None, marks=None), "no first token: it can fail over"),
        (_stream(FAULT_AT - 3.0, marks=(2,)), "cut on a provider the fault did not hit"),
        (_stream(FAULT_AT - 3.0, marks=None), "no marks: cannot be attributed"),
        (_stream(FAULT_AT - 3.0, marks=()), "empty marks: cannot be attributed"),
        (_stream(FAULT_AT - 3.0, marks=(1, 2)), "text from two providers"),
        (_stream(FAULT_AT - 3.0, stream=False), "not a stream"),
        (_stream(FAULT_AT - 3.0, outcome="good"), "not a failure"),
    ],
)
def test_other_requests_are_not_cut_at_impact(record: RequestRecord, why: str) -> None:
    """Every condition of the rule is needed: each of these still counts."""
    assert not cut_at_impact(record, FROZEN, _stack()), why


def test_a_fault_that_only_degrades_cuts_nothing_at_impact() -> None:
    """A fault that does not take its targets out (a slow tail) leaves nothing out: the
    service has to cope with what it does."""
    fault = StartedFault("tail", FAULT_AT, ("fake-openai",), False)
    assert not cut_at_impact(_stream(FAULT_AT - 3.0), fault, _stack())


def test_an_unmarked_provider_is_never_attributed() -> None:
    """A fault on a provider fake without a mark matches no record's mark."""
    stack = msgspec.structs.replace(
        _stack(), components=tuple(
            msgspec.structs.replace(c, extra={}) if c.name == "fake-openai" else c
            for c in _stack().components
        ),
    )  # fmt: skip
    assert not cut_at_impact(_stream(FAULT_AT - 3.0), FROZEN, stack)


# -- the injector remembers the faults it started --------------------------------------


@pytest.fixture
def harmless(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The injector's actions replaced by a log (unit tests start and freeze nothing)."""
    done: list[str] = []

    def steps(stack: Stack, fault: Any, target: Any, fault_id: str) -> list[dict[str, Any]]:
        return [] if fault.action == "restart" else [{"kind": "noop"}]

    monkeypatch.setattr(injector_module, "undo_plan", steps)
    monkeypatch.setattr(injector_module, "inflict", lambda *a: done.append("inflict"))
    monkeypatch.setattr(injector_module, "undo", lambda steps, stack: done.append("undo") or [])
    monkeypatch.setattr(injector_module, "took_effect", lambda *a: None)
    return done


def _freeze() -> Scenario:
    return load_scenario("provider-freeze").scenario


def test_the_injector_remembers_a_fault_after_it_ended(tmp_path: Path, harmless: list[str]) -> None:
    """A fault's start, components and takes_out stay known once it ended, at its event's
    time, so a check soon after still sees it."""
    injector = Injector(_stack(), _freeze(), run_dir=tmp_path)
    injector.tick(30.0)
    injector.tick(60.0)
    assert harmless == ["inflict", "undo"]
    assert not injector.active
    (started,) = injector.started
    assert (started.id, started.components, started.takes_out) == ("freeze", ("fake-openai",), True)
    (start_event,) = [e for e in _events(tmp_path) if e["kind"] == "fault_start"]
    assert start_event["t"] == started.at


def test_the_injector_remembers_an_instant_fault(tmp_path: Path, harmless: list[str]) -> None:
    """A restart ends as it starts; it is still among the started faults."""
    scenario = msgspec.structs.replace(
        _freeze(), faults=(msgspec.structs.replace(_freeze().faults[0], action="restart"),)
    )
    injector = Injector(_stack(), scenario, run_dir=tmp_path)
    injector.tick(30.0)
    assert not injector.active
    assert [f.id for f in injector.started] == ["freeze"]


def _events(run_dir: Path) -> list[dict[str, Any]]:
    lines = (run_dir / "events.jsonl").read_bytes().splitlines()
    return [msgspec.json.decode(line) for line in lines if line.strip()]


# -- the steady-state check ------------------------------------------------------------


def _check_with(tmp_path: Path, failures: list[RequestRecord]) -> Any:
    """The "during" check 3 s into a freeze over 67 good answers and ``failures``."""
    injector = Injector(_stack(), _freeze(), run_dir=tmp_path)
    injector.tick(30.0)
    at = injector.started[0].at
    good = [_stream(at - 2.4 + i * 0.06, ttft=0.3, latency=0.5, marks=(2,), outcome="good")
            for i in range(67)]  # fmt: skip
    load = tmp_path / "load"
    load.mkdir()
    records = good + [msgspec.structs.replace(r, t=r.t - FAULT_AT + at) for r in failures]
    (load / "requests-local.jsonl").write_bytes(b"".join(msgspec.json.encode(r) + b"\n"
                                                        for r in records))  # fmt: skip
    stats = LiveStats(tmp_path)
    stats.poll()
    checks = planned_checks(90.0, 5.0)
    return steady_check(_freeze(), _stack(), stats, injector, start=at - 30.0, now=at + 3.0,
                        target=TARGET, checks=checks)  # fmt: skip


def test_three_streams_cut_at_the_freeze_leave_the_check_holding(
    tmp_path: Path, harmless: list[str]
) -> None:
    """3 streams the freeze cut past their first token among 70: left out, counted, and the
    check holds on the 67 it judged."""
    cut = [_stream(FAULT_AT - 3.0 + i * 0.2) for i in range(3)]
    check = _check_with(tmp_path, cut)
    assert check is not None
    assert check.window == "during"
    assert (check.requests, check.availability, check.cut_at_impact) == (67, 1.0, 3)
    assert check.holds


@pytest.mark.parametrize(
    "failure",
    [
        _stream(FAULT_AT - 0.5, ttft=None, latency=2.0, marks=None),  # no first token yet
        _stream(FAULT_AT - 3.0, marks=(2,)),  # cut on the provider the freeze did not hit
        _stream(FAULT_AT - 3.0, marks=None),  # no marks: cannot be attributed
    ],
)
def test_three_ordinary_failures_still_break_the_check(
    tmp_path: Path, harmless: list[str], failure: RequestRecord
) -> None:
    """3 failures the service could have saved among 70: counted, the check breaks."""
    failures = [msgspec.structs.replace(failure, t=failure.t + i * 0.2) for i in range(3)]
    check = _check_with(tmp_path, failures)
    assert check is not None
    assert (check.requests, check.cut_at_impact) == (70, 0)
    assert not check.holds
