"""Reuse the parsed-file fixtures of the unit observability tests."""

from tests.unit.observability.conftest import dashboards

__all__ = ["dashboards"]
