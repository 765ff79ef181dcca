"""lab/phases.toml and its validation: one-line errors naming file, line and key."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lab.phases import PHASES_FILE, PhaseError, get_phase, load_phases

GOOD = """\
[p1]
title = "P1"
replicas = 1
providers = [{ name = "openai", vendor = "openai" }]
targets = { availability = 0.95, latency_p95_s = 5.0, ttft_p95_s = 2.0 }
load = { seed_users = 100, factor = 0.1 }

[p1.service]
CHAT_RETRY_ENABLED = false
"""


def _load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "phases.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PhaseError) as caught:
        load_phases(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_repo_file_defines_the_four_phases_in_order() -> None:
    """lab/phases.toml loads and holds v1..v4 with rising availability targets."""
    phases = load_phases()
    assert list(phases) == ["v1", "v2", "v3", "v4"]
    targets = [p.targets.availability for p in phases.values()]
    assert targets == sorted(targets)
    assert [p.total_replicas for p in phases.values()] == [1, 2, 3, 4]
    assert [len(p.providers) for p in phases.values()] == [1, 2, 3, 4]


def test_users_are_the_seed_figure_times_the_stated_factor() -> None:
    """Nominal load is ceil(seed_users * factor), as the file states."""
    for phase in load_phases().values():
        assert phase.load.users == math.ceil(phase.load.seed_users * phase.load.factor)


def test_service_env_carries_flags_and_the_policies() -> None:
    """The service gets its flags as CHAT_* strings plus the Redis and store policies."""
    v1 = get_phase("v1")
    env = v1.service_env()
    assert env["CHAT_RETRY_ENABLED"] == "false"
    assert env["CHAT_RATE_LIMIT_POLICY"] == "fail-closed"
    assert env["CHAT_STORE_POLICY"] == "fail-closed"


def test_a_wrong_type_names_the_line_and_key(tmp_path: Path) -> None:
    """replicas = "two" -> file:3: p1.replicas: Expected `int`..."""
    message = _load(tmp_path, GOOD.replace("replicas = 1", 'replicas = "two"'))
    assert message.startswith(f"{tmp_path / 'phases.toml'}:3: p1.replicas: Expected `int`")


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    """A misspelt key is an error naming it, not silently ignored."""
    message = _load(tmp_path, GOOD.replace("replicas = 1", "replicas = 1\nreplica = 2"))
    assert "replica" in message
    assert ":4:" in message


def test_a_nested_wrong_value_names_its_line(tmp_path: Path) -> None:
    """A bad vendor inside the providers list names the providers line."""
    message = _load(tmp_path, GOOD.replace('vendor = "openai"', 'vendor = "gemini"'))
    assert ":4: p1.providers.0.vendor:" in message


def test_a_variable_the_service_does_not_read_is_refused(tmp_path: Path) -> None:
    """CHAT_RETRY_ENABLD (typo) in [p1.service] is refused with its line."""
    message = _load(tmp_path, GOOD.replace("CHAT_RETRY_ENABLED", "CHAT_RETRY_ENABLD"))
    assert ":9: p1.service.CHAT_RETRY_ENABLD: is not a variable the service reads" in message


def test_a_variable_the_lab_owns_is_refused(tmp_path: Path) -> None:
    """CHAT_REDIS_URL is the lab's (it routes Redis through the proxy): refused."""
    message = _load(tmp_path, GOOD + 'CHAT_REDIS_URL = "redis://x"\n')
    assert "p1.service.CHAT_REDIS_URL: is set by the lab" in message


def test_a_flag_value_the_service_refuses_is_refused(tmp_path: Path) -> None:
    """Flags are checked by the service's own settings reader at load."""
    message = _load(tmp_path, GOOD + "CHAT_BREAKER_FAILURE_RATE = 3\n")
    assert "CHAT_BREAKER_FAILURE_RATE: must be <= 1" in message
    assert ":10:" in message


def test_a_standby_without_a_second_region_is_refused(tmp_path: Path) -> None:
    """store.standby needs two regions."""
    text = GOOD.replace("replicas = 1", "replicas = 1\nstore = { standby = true }")
    assert "p1.store.standby: a standby needs a second region" in _load(tmp_path, text)


def test_not_toml_is_one_line(tmp_path: Path) -> None:
    """Broken TOML is reported in one line naming the file."""
    assert "not valid TOML" in _load(tmp_path, "[p1\n")


def test_an_unknown_phase_lists_the_known_ones() -> None:
    """get_phase('v9') names v1..v4."""
    with pytest.raises(PhaseError, match="unknown phase 'v9': choose one of v1, v2, v3, v4"):
        get_phase("v9", path=PHASES_FILE)
