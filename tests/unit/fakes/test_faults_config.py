"""Strict validation of the fault configuration."""

from __future__ import annotations

import re

import msgspec
import pytest

from fakes.llm.faults import FaultConfig, LogNormal, Uniform, decode_config, load_config


def test_empty_config_has_no_faults() -> None:
    """``{}`` is a valid configuration with every section off."""
    config = decode_config(b"{}")
    assert config == FaultConfig()
    assert msgspec.json.encode(config) == b"{}"


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b'{"errors": {"rate": -0.1}}', "$.errors.rate"),
        (b'{"hang": {"rate": 0.5, "max": 1}}', "unknown field `max`"),
        (b'{"latency": {"per_token": {"dist": "weibull"}}}', "$.latency.per_token.dist"),
        (b'{"saturation": {"capacity": 0}}', "$.saturation.capacity"),
        (b'{"outage": {"duration_s": 0}}', "$.outage.duration_s"),
        (b'{"stream": {"mix": {"explode": 1}}}', "$.stream"),
        (
            b'{"latency": {"ttft": {"dist": "uniform", "low_ms": 5, "high_ms": 1}}}',
            "$.latency.ttft",
        ),
    ],
)
def test_bad_values_name_the_field(raw: bytes, where: str) -> None:
    """Out-of-range values and unknown fields raise an error naming where they are."""
    with pytest.raises(msgspec.ValidationError, match=re.escape(where)):
        decode_config(raw)


def test_distributions_are_tagged_by_dist() -> None:
    """``dist`` selects the distribution and its fields."""
    config = decode_config(
        b'{"latency": {"ttft": {"dist": "uniform", "low_ms": 1, "high_ms": 2},'
        b' "per_token": {"dist": "lognormal", "median_ms": 20, "sigma": 0.3}}}'
    )
    assert config.latency is not None
    assert config.latency.ttft == Uniform(low_ms=1, high_ms=2)
    assert config.latency.per_token == LogNormal(median_ms=20, sigma=0.3)


def test_yaml_integer_keys_are_accepted() -> None:
    """Parsed YAML with integer status keys (``{429: 1}``) validates like JSON strings."""
    config = load_config({"errors": {"rate": 1, "mix": {429: 1}}})
    assert config.errors is not None
    assert config.errors.mix == {"429": 1.0}


def test_round_trip() -> None:
    """Encoding a decoded configuration gives back the same configuration."""
    raw = b'{"outage":{"mode":"reset","duration_s":2.0},"models":{"m":{"hang":{"rate":0.5}}}}'
    config = decode_config(raw)
    assert decode_config(msgspec.json.encode(config)) == config
