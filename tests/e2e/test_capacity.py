"""`chaoslab capacity` on real stacks: the offered rate raised to the knee.

One step on V1 (~1 min) runs everywhere; the whole V1 and V3 searches (up to ~9 min each)
only with CHAOSLAB_E2E_ALL=1 (``nox -s e2e``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.campaign import LONG, chaoslab

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]
long_only = pytest.mark.skipif(not LONG, reason="a whole search takes minutes: CHAOSLAB_E2E_ALL=1")


def test_one_step_that_passes_is_a_partial_result_in_one_line(tmp_path: Path) -> None:
    """A bound that allows one step: its curve point, and one line saying no knee was found."""
    done = chaoslab(tmp_path, "capacity", "--phase", "v1", "--start-rate", "3", "--max-rate",
                    "3", "--step", "12s", out=tmp_path / "cap")  # fmt: skip
    assert done.code == 0, done.output[-3000:]
    (result,) = done.json("capacity.json")
    assert [s["rate"] for s in result["steps"]] == [3]
    assert result["steps"][0]["requests"] > 15
    assert "not broken within the bound: passed up to 3 requests/s" in done.output
    assert "two cores" in done.output


@long_only
@pytest.mark.parametrize("phase", ["v1", "v3"])
def test_the_search_prints_a_knee_and_what_broke_first(tmp_path: Path, phase: str) -> None:
    """The default search breaks the phase: a knee interval and the failing target."""
    done = chaoslab(tmp_path, "capacity", "--phase", phase, out=tmp_path / "cap")
    assert done.code == 0, done.output[-3000:]
    assert re.search(rf"{phase.upper()} \(.*\): knee between \S+ and \S+ requests/s", done.output)
    assert "broke first: " in done.output
    (result,) = done.json("capacity.json")
    assert result["last_pass"] is not None
    assert result["first_breach"] > result["last_pass"]
