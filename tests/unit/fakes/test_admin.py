"""The admin API's handler, called directly (no server)."""

from __future__ import annotations

import json

from fakes.llm.admin import handle_admin
from fakes.llm.engine import FaultEngine


def test_put_get_delete() -> None:
    """PUT stores a configuration, GET shows it, DELETE empties it."""
    engine = FaultEngine()
    status, _, body = handle_admin(
        engine, "PUT", "/_fake/faults", b'{"hang": {"rate": 1}}', vendor="openai"
    )
    assert status == 200
    assert json.loads(body) == {"hang": {"rate": 1.0}}
    assert json.loads(handle_admin(engine, "GET", "/_fake/faults", b"", vendor="openai")[2]) == {
        "hang": {"rate": 1.0}
    }
    assert handle_admin(engine, "DELETE", "/_fake/faults", b"", vendor="openai")[0] == 204
    assert json.loads(handle_admin(engine, "GET", "/_fake/faults", b"", vendor="openai")[2]) == {}


def test_invalid_body_is_problem_naming_field() -> None:
    """A bad value is a 400 problem+json naming the field; the old configuration stays."""
    engine = FaultEngine()
    handle_admin(engine, "PUT", "/_fake/faults", b'{"hang": {"rate": 1}}', vendor="openai")
    status, headers, body = handle_admin(
        engine, "PUT", "/_fake/faults", b'{"quota": {"requests_per_minute": 0}}', vendor="openai"
    )
    assert status == 400
    assert dict(headers)["content-type"] == "application/problem+json"
    assert json.loads(body)["field"] == "$.quota.requests_per_minute"
    assert engine.config.hang is not None


def test_reset_calls_back() -> None:
    """POST /_fake/reset clears faults and runs the reset callback."""
    engine, called = FaultEngine(), []
    handle_admin(engine, "PUT", "/_fake/faults", b'{"outage": {}}', vendor="openai")
    status, _, _ = handle_admin(
        engine, "POST", "/_fake/reset", b"", vendor="openai", on_reset=lambda: called.append(1)
    )
    assert status == 204
    assert called == [1]
    assert engine.config.outage is None


def test_wrong_method_and_path() -> None:
    """Unsupported methods get 405, unknown admin paths 404."""
    engine = FaultEngine()
    assert handle_admin(engine, "POST", "/_fake/faults", b"", vendor="openai")[0] == 405
    assert handle_admin(engine, "GET", "/_fake/nope", b"", vendor="openai")[0] == 404
