"""`chaoslab run` refuses every out-of-bounds or unsafe input with one line and exit 2,
before anything starts (no stack, no run directory, no `.chaoslab` made)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from chaoslab.cli import main
from lab.phases import ENV_PHASES, PHASES_FILE

SCENARIO = """\
title = "t"
hypothesis = "h"
teaches = "x"

[steady_state]
{steady}

[load]
{load}

[[faults]]
name = "{name}"
at = "10s"
duration = "10s"
target = "{target}"
action = "{action}"
{fault}
"""


def scenario(
    *,
    steady: str = "",
    load: str = 'duration = "60s"',
    name: str = "cut",
    target: str = "cache",
    action: str = "latency",
    fault: str = "attributes = { latency = 100 }",
) -> str:
    return SCENARIO.format(
        steady=steady, load=load, name=name, target=target, action=action, fault=fault
    )


def phases(old: str, new: str) -> str:
    """The shipped phase file with one edit (the edit must apply)."""
    text = PHASES_FILE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


SIXTY = 'duration = "60s"'
V1_LOAD = "load = { seed_users = 100, factor = 0.1, spawn_rate = 5 }"
V1_TARGETS = "targets = { availability = 0.95, latency_p95_s = 5.0, ttft_p95_s = 2.0 }"
V1_PROVIDERS = 'providers = [{ name = "openai", vendor = "openai", profile = "small-hosted" }]'

# (case id, scenario text or None, phase file text or None, extra CLI args, expected words)
CASES: list[tuple[str, str | None, str | None, tuple[str, ...], str]] = [
    ("load duration 0", scenario(load="duration = 0"), None, (), "load.duration"),
    (
        "arrival rate 1e9",
        scenario(load='duration = "60s"\narrival_rate = 1e9'),
        None,
        (),
        "arrival_rate",
    ),
    (
        "toxic latency 10^12 ms",
        scenario(fault="attributes = { latency = 1000000000000 }"),
        None,
        (),
        "latency",
    ),
    ("toxic latency -5 ms", scenario(fault="attributes = { latency = -5 }"), None, (), "latency"),
    ("fault name with $...$", scenario(name="$\\\\undefinedcmd$"), None, (), "name"),
    (
        "jitter ends past the run",
        scenario(fault='jitter = "45s"\nattributes = { latency = 1 }'),
        None,
        (),
        "jitter",
    ),
    ("scenario availability -3", scenario(steady="availability = -3"), None, (), "availability"),
    ("scenario availability 1.5", scenario(steady="availability = 1.5"), None, (), "availability"),
    (
        "scenario latency target -1",
        scenario(steady="latency_p95_s = -1"),
        None,
        (),
        "latency_p95_s",
    ),
    (
        "scenario spawn_rate -1",
        scenario(load='duration = "60s"\nspawn_rate = -1'),
        None,
        (),
        "spawn_rate",
    ),
    (
        "phase availability -3",
        None,
        phases(V1_TARGETS, V1_TARGETS.replace("0.95", "-3")),
        (),
        "availability",
    ),
    (
        "phase availability 1.5",
        None,
        phases(V1_TARGETS, V1_TARGETS.replace("0.95", "1.5")),
        (),
        "availability",
    ),
    (
        "phase latency target -1",
        None,
        phases(V1_TARGETS, V1_TARGETS.replace("5.0", "-1")),
        (),
        "latency_p95_s",
    ),
    (
        "phase spawn_rate -1",
        None,
        phases(V1_LOAD, V1_LOAD.replace("spawn_rate = 5", "spawn_rate = -1")),
        (),
        "spawn_rate",
    ),
    ("phase factor 1e9", None, phases(V1_LOAD, V1_LOAD.replace("0.1", "1e9")), (), "factor"),
    (
        "[V1] beside [v1]",
        None,
        phases(
            "[v2]\n",
            f'[V1]\ntitle = "V"\nreplicas = 1\n{V1_PROVIDERS}\n{V1_TARGETS}\n{V1_LOAD}\n\n[v2]\n',
        ),
        (),
        "[V1] clashes with [v1]",
    ),
    (
        "provider ../../evil",
        None,
        phases(V1_PROVIDERS, V1_PROVIDERS.replace('name = "openai"', 'name = "../../evil"')),
        (),
        "../../evil",
    ),
    (
        "phase id ../../escape",
        None,
        phases(
            "[v1]\n",
            '["../../escape"]\ntitle = "E"\nreplicas = 1\n'
            f"{V1_PROVIDERS}\n{V1_TARGETS}\n{V1_LOAD}\n\n[v1]\n",
        ),
        ("--phase", "../../escape"),
        "../../escape",
    ),
    ("--rate 1e9", None, None, ("--rate", "1e9"), "--rate"),
    ("--users a million", None, None, ("--users", "1000000"), "--users"),
    ("--duration a year", None, None, ("--duration", "8760h"), "--duration"),
    ("--out an existing file", None, None, ("--out", "{file}"), "--out"),
    ("--out a busy directory", None, None, ("--out", "{busy}"), "--out"),
    ("stack.json a directory", None, None, ("--stack", "{broken}"), "stack.json"),
    (
        "a role the phase lacks",
        scenario(target="region:b", action="region-down", fault=""),
        None,
        (),
        "region:b: phase v1 has no regions",
    ),
]


@pytest.mark.parametrize(
    ("scenario_text", "phase_text", "extra", "words"),
    [pytest.param(s, p, e, w, id=i) for i, s, p, e, w in CASES],
)
def test_bad_input_is_one_line_exit_2_and_nothing_starts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scenario_text: str | None,
    phase_text: str | None,
    extra: tuple[str, ...],
    words: str,
) -> None:
    """Each bad input: exit 2, one line naming what is wrong, nothing made or started."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ENV_PHASES, str(PHASES_FILE))  # restored after `--phases` sets it
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "report.md").write_text("x")
    (tmp_path / "broken" / "stack.json").mkdir(parents=True)
    args = ["run", "--phase", "v1", "--scenario"]
    if scenario_text is not None:
        (tmp_path / "s.toml").write_text(scenario_text, encoding="utf-8")
        args.append(str(tmp_path / "s.toml"))
    else:
        args.append("baseline")
    if phase_text is not None:
        (tmp_path / "phases.toml").write_text(phase_text, encoding="utf-8")
        args += ["--phases", str(tmp_path / "phases.toml")]
    places = {"file": "a-file", "busy": "busy", "broken": "broken"}
    args += [arg.format(**places) for arg in extra]
    if "--phase" in extra:
        args[1:3] = []
    before = sorted(p.name for p in tmp_path.iterdir())

    result = CliRunner().invoke(main, args)

    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, result.output
    assert words in lines[0]
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no .chaoslab, no run dir


def test_the_cli_bounds_are_the_scenario_models() -> None:
    """`run --rate` and `--users` stop where a scenario file's bounds do."""
    from chaoslab.cli.run import run
    from scenarios.model import MAX_ARRIVAL_RATE, MAX_USERS

    bounds = {p.name: p.type for p in run.params}
    assert bounds["rate"].max == MAX_ARRIVAL_RATE  # type: ignore[attr-defined]
    assert bounds["users"].max == MAX_USERS  # type: ignore[attr-defined]
