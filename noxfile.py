"""Developer and CI entry points. ``nox -l`` lists them; arguments after ``--`` pass through.

Every session installs the project from the lock file (``uv sync --frozen``) into its own
reused virtualenv, so a run here is the run CI does.
"""

from __future__ import annotations

import sys

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "tests"]

PACKAGES = ["service", "fakes", "rundir", "lab", "scenarios", "loadtests", "reports", "chaoslab"]


def _sync(session: nox.Session, *groups: str) -> None:
    """Install the locked project and the given dependency groups into the session's venv,
    quietly (uv lists every package it installs otherwise; ``nox -v`` shows them)."""
    verbose = any(arg in ("-v", "--verbose") for arg in sys.argv[1:])
    args = ["uv", "sync", "--frozen", "--no-default-groups", *([] if verbose else ["-q"])]
    for group in groups:
        args += ["--group", group]
    session.run_install(*args, env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location})


@nox.session
def tests(session: nox.Session) -> None:
    """The whole pytest suite (unit, integration against real servers, e2e).

    Example: nox -s tests -- -m unit -x
    """
    _sync(session, "tests")
    session.run("pytest", "--durations=60", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    _sync(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the packages, and the import-linter layer contracts."""
    _sync(session, "typing", "tests")
    session.run("mypy", *session.posargs)
    session.run("lint-imports")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, each printed as ratios against a baseline measured in the same run.

    Example: nox -s bench -- proxy fakes
    """
    _sync(session)
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def chaos(session: nox.Session) -> None:
    """Run one chaos experiment on one phase (wraps `chaoslab run`; arguments pass through).

    Example: nox -s chaos -- --phase v3 --scenario provider-outage --duration 60s
    """
    _sync(session)
    args = session.posargs or ["--phase", "v3", "--scenario", "provider-outage"]
    session.run("chaoslab", "run", *args)


@nox.session
def load(session: nox.Session) -> None:
    """Load only, no faults: the baseline scenario (wraps `chaoslab run`).

    Example: nox -s load -- --phase v2 --users 20 --workers 2
    """
    _sync(session)
    args = list(session.posargs)
    if "--phase" not in args:
        args += ["--phase", "v1"]
    if "--scenario" not in args:
        args += ["--scenario", "baseline"]
    session.run("chaoslab", "run", *args)


@nox.session
def e2e(session: nox.Session) -> None:
    """Every shipped scenario, shortened, on a phase with its roles, checking each fault
    took effect; plus the V1-vs-V3 outage and the stack's own e2e tests (~15 min; not in CI).

    Example: nox -s e2e -- -k provider
    """
    _sync(session, "tests")
    session.run(
        "pytest", "tests/e2e", "-p", "no:randomly", *session.posargs,
        env={"CHAOSLAB_E2E_ALL": "1"},
    )  # fmt: skip


@nox.session
def compare(session: nox.Session) -> None:
    """Runs side by side: one scenario across the phases, or RUN_A against RUN_B.

    Example: nox -s compare -- --scenario provider-outage
             nox -s compare -- .chaoslab/runs/main-v3 .chaoslab/runs/fix-v3
    """
    _sync(session)
    session.run("chaoslab", "compare", *session.posargs)


@nox.session
def report(session: nox.Session) -> None:
    """Render a finished run's SLA report (HTML, Markdown, JSON, JUnit); exits with its verdict.

    Example: nox -s report -- .chaoslab/runs/2026-12-01T10-02-11-v3 --gate
    """
    _sync(session)
    session.run("chaoslab", "report", *session.posargs)
