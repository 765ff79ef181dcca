"""Fixtures of the resilience unit tests: a virtual clock and a recording observer."""

from __future__ import annotations

import pytest

from service.resilience.clock import ManualClock
from tests.unit.resilience.fakes import RecordingObserver


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0)


@pytest.fixture
def observer() -> RecordingObserver:
    return RecordingObserver()
