"""The outcome table: every case the issue names, and the docs listing each reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.outcomes import OUTCOME_TABLE, classify

DOCS = Path(__file__).resolve().parents[3] / "docs" / "load.md"


def test_plain_200_is_good() -> None:
    """A 2xx answer is good."""
    assert classify(user="chat", status=200) == ("good", "ok")


def test_stream_without_final_event_is_a_failure() -> None:
    """An HTTP 200 stream that ends without its final event is a failure."""
    assert classify(user="stream", status=200, stream=True) == ("failure", "stream_incomplete")


def test_stream_with_error_event_is_a_failure() -> None:
    """A 200 stream carrying an error event is a failure even if it ended."""
    outcome = classify(user="stream", status=200, stream=True, stream_done=True, stream_error=True)
    assert outcome == ("failure", "stream_error")


def test_complete_stream_is_good() -> None:
    """A stream that reached its final event is good."""
    assert classify(user="stream", status=200, stream=True, stream_done=True) == ("good", "ok")


def test_client_timeout_is_a_failure_whatever_the_status() -> None:
    """A client timeout is a failure."""
    assert classify(user="chat", status=200, error="timeout") == ("failure", "timeout")


def test_429_to_a_normal_user_is_a_failure() -> None:
    """A 429 to a normal user fails..."""
    assert classify(user="chat", status=429) == ("failure", "rate_limited")


def test_429_expected_by_the_scenario_is_excluded() -> None:
    """...unless the scenario lists it as expected."""
    assert classify(user="chat", status=429, expected=(429,)) == ("excluded", "expected_status")


def test_front_door_5xx_is_a_failure_naming_the_status() -> None:
    """A 5xx from the front door is a failure whose reason names the status."""
    assert classify(user="openai", status=503) == ("failure", "http_503")


def test_abusive_users_4xx_are_excluded() -> None:
    """The abusive user's expected 4xx count for neither side."""
    for status in (400, 401, 413, 422, 429):
        assert classify(user="abusive", status=status) == ("excluded", "expected_4xx")


def test_abusive_users_5xx_still_fail() -> None:
    """A 5xx is a failure even for the abusive user."""
    assert classify(user="abusive", status=500)[0] == "failure"


@pytest.mark.parametrize("error", ["dropped_at_cap", "late", "connection_error"])
def test_open_model_and_transport_errors_are_failures(error: str) -> None:
    """Arrivals dropped at the cap, late ones and transport errors are failures."""
    assert classify(user="chat", status=0, error=error) == ("failure", error)


def test_docs_list_every_reason_of_the_table() -> None:
    """docs/load.md carries the same table (each reason with its outcome)."""
    text = DOCS.read_text()
    for rule in OUTCOME_TABLE:
        assert f"| `{rule.reason}` | {rule.outcome} |" in text
