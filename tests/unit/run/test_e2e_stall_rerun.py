"""The e2e tests' rule for a run the machine stalled under (tests/e2e/campaign.py): it runs
once more into OUT-again with a warning; any other invalid run, or a second stall, stands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.campaign import STALL, again_if_stalled

STALLED = f"{STALL}: Prometheus missed its own scrapes (22 of 30 expected; none from +12 to +20 s)"


def _attempts(*reasons: list[str]) -> tuple[list[Path], Callable[[Path], Path]]:
    """An attempt that writes the next report (its invalid reasons) into OUT and returns OUT."""
    made: list[Path] = []

    def attempt(out: Path) -> Path:
        out.mkdir(parents=True)
        out.joinpath("report.json").write_text(json.dumps({"invalid_reasons": reasons[len(made)]}))
        made.append(out)
        return out

    return made, attempt


def test_a_stalled_run_runs_once_more_into_its_again_directory(tmp_path: Path) -> None:
    made, attempt = _attempts([STALLED], [])
    with pytest.warns(UserWarning, match="ran it once more"):
        result = again_if_stalled(attempt, tmp_path / "run")
    assert made == [tmp_path / "run", tmp_path / "run-again"]
    assert result == tmp_path / "run-again"


def test_a_second_stall_stands(tmp_path: Path) -> None:
    made, attempt = _attempts([STALLED], [STALLED], [])
    with pytest.warns(UserWarning, match="ran it once more"):
        result = again_if_stalled(attempt, tmp_path / "run")
    assert len(made) == 2
    assert result == tmp_path / "run-again"


@pytest.mark.parametrize(
    "reasons",
    [[], ["Prometheus missed scrapes of replica-1 (replica): 20 of 30 expected"],
     [STALLED, "replica-2 (replica) was down at +5 s, outside every fault window"]],
)  # fmt: skip
def test_any_other_run_stands(tmp_path: Path, reasons: list[str]) -> None:
    made, attempt = _attempts(reasons)
    assert again_if_stalled(attempt, tmp_path / "run") == tmp_path / "run"
    assert made == [tmp_path / "run"]
