"""The shipped scenario files and the errors a bad file gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scenarios.loader import ScenarioError, list_scenarios, load_scenario
from scenarios.model import parse_seconds

REQUIRED = {
    "baseline",
    "provider-outage",
    "provider-brownout",
    "rate-limit-storm",
    "stream-interruption",
    "provider-freeze",
    "redis-latency",
    "redis-down",
    "db-down",
    "db-slow",
    "network-partition",
    "replica-crash",
    "replica-freeze",
    "redis-restart",
    "traffic-spike",
    "soak",
    "region-failover",
    "provider-tail",
}
HEAD = 'title = "t"\nhypothesis = "h"\nteaches = "x"\n'


def test_every_required_scenario_ships() -> None:
    """Every scenario the issues name is in scenarios/."""
    assert set(list_scenarios()) >= REQUIRED


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_shipped_scenario_validates(name: str) -> None:
    """Every shipped scenario validates and says what it teaches."""
    scenario = load_scenario(name).scenario
    assert scenario.teaches.strip()
    assert scenario.hypothesis.strip()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("2m", 120), ("1m30s", 90), ("500ms", 0.5), ("1h", 3600), ("1.5s", 1.5)],
)
def test_durations_parse(text: str, seconds: float) -> None:
    """Durations read as seconds from their usual spellings."""
    assert parse_seconds(text) == pytest.approx(seconds)


BAD = [
    (
        HEAD + "[load]\nuserz = 3\n",
        "bad.toml:5: load.userz: unknown key",
    ),
    (
        HEAD + '[load]\nduration = "3 parsecs"\n',
        "bad.toml:5: load.duration: '3 parsecs' is not a duration",
    ),
    (
        HEAD + '\n[[faults]]\nat = "1s"\ntarget = "cache"\naction = "latency"\n'
        '\n[[faults]]\nat = "2s"\ntarget = "provider-x"\naction = "latency"\n',
        "bad.toml:12: faults[1].target: not a role",
    ),
    (
        HEAD + '[[faults]]\nat = "1s"\ntarget = "cache"\naction = "latency"\n'
        "attributes = { latncy = 3 }\n",
        "bad.toml:8: faults[0].attributes: 'latncy' is not one of latency's",
    ),
    (
        HEAD + '[[faults]]\nat = "1s"\ntarget = "primary-provider"\naction = "fake"\n'
        "faults = { errors = { rate = 2 } }\n",
        "bad.toml:8: faults[0].faults.errors.rate: Expected `float` <= 1.0",
    ),
    (
        HEAD + '[[faults]]\nat = "100s"\ntarget = "cache"\naction = "kill"\n',
        "bad.toml:5: faults[0].at: the fault can end at 100s, after the load's duration 60s",
    ),
    ('hypothesis = "h"\nteaches = "x"\n', "bad.toml:1: title: missing (required)"),
    ('title = "t"\nhypothesis =\n', "bad.toml:2: not valid TOML"),
    (
        HEAD + '[[faults]]\nat = "1s"\ntarget = "cache"\naction = "region-down"\n',
        "bad.toml:6: faults[0].target: action 'region-down' needs a region:X target",
    ),
    (
        HEAD + '[[faults]]\nat = "1s"\ntarget = "cache"\naction = "explode"\n',
        "bad.toml:7: faults[0].action: Invalid enum value 'explode'",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_file_is_one_line_naming_line_and_key(
    write_scenario: Callable[[str], Path], text: str, expected: str
) -> None:
    """A bad scenario file raises one line: file:line: key: reason."""
    path = write_scenario(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message
    assert f"/{expected}" in message or message.startswith(expected)


def test_unknown_name_lists_the_scenarios() -> None:
    """An unknown scenario name says which names exist."""
    with pytest.raises(ScenarioError, match="provider-outage"):
        load_scenario("no-such-thing")
