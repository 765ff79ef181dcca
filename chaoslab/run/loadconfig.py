"""The Locust config of one run: the scenario's load, the phase's nominal users, the stack's
keys and front door, and every phase's targets for the exporter's buckets."""

from __future__ import annotations

import math
from pathlib import Path

from loadtests.config import LoadConfig
from rundir import Stack
from scenarios.model import Scenario

__all__ = ["build_load_config", "load_model", "nominal_users"]


def nominal_users(stack: Stack, default: int = 10) -> int:
    """The phase's nominal users: ``ceil(seed_users * factor)`` from the phase file."""
    load = stack.phase_config.get("load") or {}
    try:
        return max(1, math.ceil(float(load["seed_users"]) * float(load["factor"])))
    except (KeyError, TypeError, ValueError):
        return default


def load_model(
    scenario: Scenario, stack: Stack, *, users: int | None, rate: float | None, default_rate: float
) -> tuple[float | None, int]:
    """``(arrival_rate, users)``: the open model's rate (None: closed users) and the users.

    ``--users`` asks for closed users, ``--rate`` for the open model; else the scenario's
    ``arrival_rate``, or closed users when it sets ``users`` or a shape other than steady
    (a spike is a number of users); else the open model at ``default_rate``."""
    load = scenario.load
    closed_users = users or load.users or nominal_users(stack)
    if users is not None:
        return None, users
    if rate is not None:
        return rate, closed_users
    if load.arrival_rate is not None:
        return float(load.arrival_rate), closed_users
    if load.users is not None or load.shape != "steady":
        return None, closed_users
    return default_rate, closed_users


def _all_targets() -> tuple[tuple[float, ...], tuple[float, ...]]:
    try:
        from lab.phases import load_phases

        phases = load_phases().values()
        latency = tuple(sorted({p.sla().latency_p95_s for p in phases}))
        ttft = tuple(sorted({p.sla().ttft_p95_s for p in phases}))
    except Exception:  # the phase file is the stack's; buckets fall back to defaults
        return (1.0, 2.5, 3.0, 5.0), (1.0, 1.5, 2.0)
    return latency, ttft


def _public_model() -> str | None:
    try:
        from lab.stack.config import MODEL
    except ImportError:  # pragma: no cover - the stack package is part of the lab
        return None
    return str(MODEL)


def build_load_config(
    stack: Stack,
    scenario: Scenario,
    *,
    run_dir: Path,
    duration: float,
    users: int,
    arrival_rate: float | None,
    seed: int,
    workers: int,
    scrape_dir: Path | None = None,
    model: str | None = None,
    stop_margin: float = 120.0,
) -> LoadConfig:
    load = scenario.load
    latency, ttft = _all_targets()
    # with a key file, the load reads its keys there: config.json names it, holds no key
    keys = () if stack.keys_file else (stack.load_api_keys or (stack.api_key,))
    return LoadConfig(
        front_door=stack.front_door,
        api_keys=tuple(keys),
        api_keys_file=stack.keys_file,
        run_dir=str(run_dir),
        duration=duration,
        users=users,
        spawn_rate=load.spawn_rate,
        shape=load.shape,
        peak_users=load.peak_users,
        steps=load.steps,
        arrival_rate=arrival_rate,
        max_in_flight=load.max_in_flight,
        mix={str(kind): weight for kind, weight in load.mix.items()},
        think_time=float(load.think_time),
        timeout=float(load.timeout),
        expected_statuses=load.expected_statuses,
        seed=seed,
        workers=workers,
        model=model if model is not None else _public_model(),
        latency_targets=tuple(sorted({*latency, stack.targets.latency_p95_s})),
        ttft_targets=tuple(sorted({*ttft, stack.targets.ttft_p95_s})),
        scrape_dirs=(str(scrape_dir),) if scrape_dir is not None else (),
        stop_after=duration + stop_margin,
    )
