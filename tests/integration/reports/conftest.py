"""Fixtures of the report tests that need a real server."""

from tests.fixtures.prometheus import known_prometheus

__all__ = ["known_prometheus"]
