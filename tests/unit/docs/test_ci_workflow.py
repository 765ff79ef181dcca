"""docs/examples/sla-gate.yml works as written: it is a valid GitHub Actions workflow (the
SchemaStore workflow schema that check-jsonschema ships, offline), its commands parse with
the real CLI, and it has the steps a CI user needs (cached apt and uv, the gate, the whole
run directory as artifact, a JUnit publisher, a 20-minute timeout, a compare with main's
last run that is skipped with a notice when there is none)."""

from __future__ import annotations

import copy
import json
import shlex
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import yaml

from chaoslab.cli import main
from lab.binaries import BINARIES
from lab.phases import load_phases
from lab.stack.parts import required_binaries

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / "docs" / "examples" / "sla-gate.yml"

Workflow = dict[str, Any]
Step = dict[str, Any]


def _schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads((vendor / "github-workflows.json").read_text("utf-8"))
    return schema


def _load() -> Workflow:
    document: Workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True; GitHub reads it as "on".
    if True in document:
        document["on"] = document.pop(True)
    return document


def _errors(document: Workflow) -> list[str]:
    validator = jsonschema.Draft7Validator(_schema())
    return [error.message for error in validator.iter_errors(document)]


def _steps() -> list[Step]:
    steps: list[Step] = _load()["jobs"]["sla-gate"]["steps"]
    return steps


def _uses(action: str) -> Step:
    found = [step for step in _steps() if str(step.get("uses", "")).startswith(action + "@")]
    assert len(found) == 1, f"one step uses {action}"
    return found[0]


def _running(command: str) -> Step:
    found = [step for step in _steps() if command in " ".join(str(step.get("run", "")).split())]
    assert len(found) == 1, f"one step runs {command!r}"
    return found[0]


def _command(name: str) -> click.Command:
    command = main.get_command(click.Context(main), name)
    assert command is not None
    return command


def _argv(step: Step, command: str) -> list[str]:
    words = shlex.split(" ".join(str(step["run"]).split()))
    at = words.index("chaoslab")
    assert words[at + 1] == command
    return words[at + 2 :]


def test_workflow_is_valid_for_the_schemastore_schema() -> None:
    """The workflow validates against the GitHub workflow schema, offline."""
    assert _errors(_load()) == []


@pytest.mark.parametrize(
    "breakage",
    ["timeout-minutes", "unknown-key", "step-without-action"],
)
def test_the_schema_check_catches_a_broken_workflow(breakage: str) -> None:
    """The same check fails on a workflow broken in one place (so it is not vacuous)."""
    document = copy.deepcopy(_load())
    job = document["jobs"]["sla-gate"]
    if breakage == "timeout-minutes":
        job["timeout-minutes"] = "twenty"
    elif breakage == "unknown-key":
        job["step"] = job["steps"]
    else:
        job["steps"].append({"name": "nothing to do"})
    assert _errors(document) != []


def test_job_runs_on_ubuntu_latest_within_20_minutes() -> None:
    """The job runs on ubuntu-latest and is stopped after 20 minutes."""
    job = _load()["jobs"]["sla-gate"]
    assert job["runs-on"] == "ubuntu-latest"
    assert job["timeout-minutes"] == 20


def test_apt_installs_exactly_what_the_gate_phase_needs_and_is_cached() -> None:
    """The cached apt step installs the Debian packages of the programs phase V1's local
    backend needs, and nothing else (no chromium, no haproxy)."""
    step = _uses("awalsh128/cache-apt-pkgs-action")
    packages = set(step["with"]["packages"].split())
    v1 = load_phases()["v1"]
    by_name = {binary.name: binary.apt.split()[-1] for binary in BINARIES}
    assert packages == {by_name[name] for name in required_binaries(v1)}
    assert not any(name.startswith("chromium") for name in packages)
    assert not any("apt-get install" in str(s.get("run", "")) for s in _steps())


def test_uv_is_cached_and_installs_from_the_lock() -> None:
    """setup-uv keeps its cache keyed on uv.lock; the project installs from the lock, quietly."""
    step = _uses("astral-sh/setup-uv")
    assert step["with"]["enable-cache"] is True
    assert step["with"]["cache-dependency-glob"] == "uv.lock"
    _running("uv sync --frozen -q")


def test_gate_command_parses_with_the_cli_and_writes_the_artifact_directory() -> None:
    """The gate step's `chaoslab run` arguments parse with the real command; the artifact
    uploaded is that run's whole directory (so `chaoslab compare` can read it), even when
    the gate failed."""
    gate = _running("chaoslab run")
    argv = _argv(gate, "run")
    assert "--gate" in argv
    out = argv[argv.index("--out") + 1]
    _command("run").make_context("run", list(argv))  # raises on an unknown flag
    upload = _uses("actions/upload-artifact")
    assert upload["with"]["path"].rstrip("/") == out
    assert upload["if"] == "${{ !cancelled() }}"


def test_junit_report_is_published() -> None:
    """A JUnit publisher reads the run's report.xml, even when the gate failed."""
    step = _uses("mikepenz/action-junit-report")
    out = _argv(_running("chaoslab run"), "run")
    run_dir = out[out.index("--out") + 1]
    assert step["with"]["report_paths"] == f"{run_dir}/report.xml"
    assert step["if"] == "${{ !cancelled() }}"


def test_compare_with_mains_last_run_is_skipped_with_a_notice_when_there_is_none() -> None:
    """The fetch step downloads main's last sla-run artifact or says why not in a notice;
    the compare step runs only when it found one, and its arguments parse with the CLI."""
    upload = _uses("actions/upload-artifact")
    fetch = next(step for step in _steps() if step.get("id") == "main-run")
    script = str(fetch["run"])
    assert f"--name {upload['with']['name']}" in script
    assert "::notice" in script
    assert 'echo "found=false" >> "$GITHUB_OUTPUT"' in script
    assert 'head_branch == "main"' in script
    compare = _running("chaoslab compare")
    assert "steps.main-run.outputs.found == 'true'" in compare["if"]
    argv = _argv(compare, "compare")
    out = _argv(_running("chaoslab run"), "run")
    assert argv[:2] == ["main-run", out[out.index("--out") + 1]]
    _command("compare").make_context("compare", list(argv))


def test_reports_doc_points_to_the_workflow() -> None:
    """docs/reports.md's CI section links the workflow file."""
    text = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    assert "examples/sla-gate.yml" in text
