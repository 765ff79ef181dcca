"""Load shapes and the exporter's buckets."""

from __future__ import annotations

import pytest

from loadtests.exporter import buckets_around
from loadtests.shapes import users_at

ARGS = {"users": 10, "duration": 90.0, "peak_users": None, "steps": 4}


def test_steady_holds_the_users() -> None:
    """steady keeps the same user count all along."""
    assert {users_at("steady", t, **ARGS) for t in range(0, 90, 5)} == {10}


def test_ramp_rises_from_one_to_users() -> None:
    """ramp starts at one user and ends at `users`."""
    assert users_at("ramp", 0, **ARGS) == 1
    assert users_at("ramp", 90, **ARGS) == 10
    assert users_at("ramp", 45, **ARGS) in (5, 6)


def test_spike_triples_in_the_middle_third() -> None:
    """spike runs 3 x users in the middle third only."""
    assert [users_at("spike", t, **ARGS) for t in (10, 40, 70)] == [10, 30, 10]


def test_step_climbs_in_equal_plateaus() -> None:
    """step rises in `steps` plateaus to `users`."""
    assert [users_at("step", t, **ARGS) for t in (1, 25, 50, 80)] == [3, 5, 8, 10]


def test_unknown_shape_is_refused() -> None:
    """An unknown shape name is an error naming the shapes."""
    with pytest.raises(ValueError, match="steady, ramp"):
        users_at("zigzag", 1, **ARGS)


def test_buckets_straddle_every_target_at_ratio_1_1() -> None:
    """Each target T has buckets at T/1.1, T and 1.1 T."""
    buckets = buckets_around([2.5, 1.0])
    for target in (2.5, 1.0):
        assert round(target / 1.1, 4) in buckets
        assert target in buckets
        assert round(target * 1.1, 4) in buckets
    assert list(buckets) == sorted(set(buckets))
