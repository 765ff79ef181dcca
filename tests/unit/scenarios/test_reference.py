"""The generated field reference and JSON Schema stay in step with the model."""

from __future__ import annotations

import json
import tomllib

import jsonschema
import pytest

from scenarios.loader import SCENARIO_DIR, list_scenarios
from scenarios.reference import REFERENCE_PATH, SCHEMA_PATH, main, render_reference


def test_committed_reference_and_schema_are_up_to_date() -> None:
    """`python -m scenarios.reference --check` passes on the committed files."""
    assert main(["--check"]) == 0


def test_reference_lists_every_fault_field_with_unit() -> None:
    """The reference names each fault field, with seconds as the unit of `at`."""
    text = render_reference()
    assert "| `at` | duration | s | required |" in text
    for key in ("target", "action", "duration", "attributes", "faults", "toxicity"):
        assert f"| `{key}` |" in text


@pytest.mark.parametrize("name", list_scenarios())
def test_shipped_scenarios_pass_the_json_schema(name: str) -> None:
    """Editors validating with scenarios/schema.json accept every shipped scenario."""
    schema = json.loads(SCHEMA_PATH.read_text())
    data = tomllib.loads((SCENARIO_DIR / f"{name}.toml").read_text())
    jsonschema.validate(data, schema)


def test_reference_file_exists() -> None:
    """docs/scenario-reference.md is committed."""
    assert REFERENCE_PATH.is_file()
