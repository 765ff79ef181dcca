"""Toxic parsing, defaults and the pure arithmetic behind latency jitter and slicing."""

from __future__ import annotations

import itertools
import random

import pytest

from fakes.toxiproxy.errors import ApiError
from fakes.toxiproxy.toxics import (
    jittered_delay_ms,
    parse_direction,
    parse_toxic,
    slice_bounds,
    update_toxic,
)


def test_defaults_follow_toxiproxy() -> None:
    """A bare toxic is downstream, toxicity 1, named <type>_<stream>, attributes all 0."""
    toxic = parse_toxic({"type": "slicer"})
    assert toxic.to_json() == {
        "attributes": {"average_size": 0, "size_variation": 0, "delay": 0},
        "name": "slicer_downstream",
        "type": "slicer",
        "stream": "downstream",
        "toxicity": 1,
    }


def test_name_uses_the_given_stream() -> None:
    """The default name joins type and the stream as given."""
    assert parse_toxic({"type": "timeout", "stream": "upstream"}).name == "timeout_upstream"


def test_stream_is_case_insensitive() -> None:
    """Streams parse regardless of case, as Go's ParseDirection does."""
    assert parse_direction("UpStream") == "upstream"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"type": "latency", "stream": "both"}, 400, "stream was invalid"),
        ({"type": "gremlin"}, 400, "invalid toxic type"),
        ({"type": "latency", "attributes": {"latency": "1s"}}, 400, "bad request body"),
        ({"type": "latency", "attributes": {"latency": 1.5}}, 400, "bad request body"),
        ({"type": "latency", "toxicity": "high"}, 400, "bad request body"),
        (["latency"], 400, "bad request body"),
    ],
)
def test_bad_input_is_rejected(body: object, status: int, message: str) -> None:
    """Bad stream, unknown type, non-integer attributes and non-objects are 400s."""
    with pytest.raises(ApiError) as caught:
        parse_toxic(body)
    assert caught.value.status == status
    assert caught.value.message.startswith(message)


def test_unknown_attributes_are_ignored() -> None:
    """Attributes a toxic does not know are dropped, as Go's JSON decoding drops them."""
    toxic = parse_toxic({"type": "bandwidth", "attributes": {"rate": 5, "burst": 9}})
    assert toxic.attributes == {"rate": 5}


def test_toxicity_zero_is_kept() -> None:
    """An explicit toxicity of 0 stays 0 (it is not mistaken for 'missing')."""
    assert parse_toxic({"type": "latency", "toxicity": 0}).toxicity == 0.0


def test_update_is_partial_and_bumps_revision() -> None:
    """An update changes only the fields it names and bumps the revision."""
    toxic = parse_toxic(
        {"type": "latency", "toxicity": 0.3, "attributes": {"latency": 5, "jitter": 2}}
    )
    update_toxic(toxic, {"attributes": {"latency": 9}})
    assert toxic.attributes == {"latency": 9, "jitter": 2}
    assert toxic.toxicity == 0.3
    assert toxic.revision == 1


def test_jitter_stays_within_bounds() -> None:
    """Latency with jitter J falls in [latency - J, latency + J)."""
    rng = random.Random(1)
    delays = {jittered_delay_ms(100, 10, rng) for _ in range(2000)}
    assert min(delays) >= 90
    assert max(delays) < 110
    assert len(delays) > 10


def test_no_jitter_is_exact() -> None:
    """Without jitter the delay is exactly the latency."""
    assert jittered_delay_ms(250, 0, random.Random(0)) == 250


@pytest.mark.parametrize(
    ("length", "average", "variation"), [(1000, 100, 0), (4096, 10, 5), (7, 0, 0)]
)
def test_slices_cover_the_data_in_order(length: int, average: int, variation: int) -> None:
    """Slices are non-empty, contiguous and cover every byte once."""
    bounds = slice_bounds(length, average, variation, random.Random(3))
    assert bounds[0][0] == 0
    assert bounds[-1][1] == length
    assert all(start < end for start, end in bounds)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))


def test_slices_are_about_the_average() -> None:
    """With no variation, slices are close to the average size."""
    bounds = slice_bounds(1600, 100, 0, random.Random(0))
    assert {end - start for start, end in bounds} <= set(range(50, 201))
