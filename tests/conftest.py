"""Test harness root. Fixtures live in ``tests/fixtures/*`` (one module per concern).

Markers: ``unit`` (no network, no subprocess), ``integration`` (real servers on free
loopback ports), ``e2e`` (the whole lab). Tests under ``tests/unit`` etc. get their
marker from their folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.servers",
    "tests.fixtures.fakes",
    "tests.fixtures.proxy",
    "tests.fixtures.service",
]

_TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by the tier folder it lives in."""
    root = Path(__file__).parent
    for item in items:
        try:
            tier = Path(item.path).relative_to(root).parts[0]
        except ValueError:
            continue
        if tier in _TIERS:
            item.add_marker(getattr(pytest.mark, tier))
