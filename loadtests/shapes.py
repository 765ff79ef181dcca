"""Load shapes as pure functions of time, and the one ``LoadTestShape`` that plays them.

``users_at(shape, t, ...)`` is the target user count at ``t`` seconds; ``LabShape`` (in the
locustfile) returns it to Locust each tick, stopping at the run's duration. The open model
runs one arrival loop per Locust process instead (``users.OpenModelUser``).
"""

from __future__ import annotations

import math

__all__ = ["users_at"]


def users_at(
    shape: str, t: float, *, users: int, duration: float, peak_users: int | None, steps: int
) -> int:
    """Users wanted at ``t`` seconds into a run of ``duration`` seconds.

    steady: ``users`` all along; ramp: linear from 1 to ``users``; spike: ``users``, then
    ``peak_users`` (default 3 x users) in the middle third, then ``users`` again; step:
    ``steps`` equal plateaus rising to ``users``."""
    if shape == "steady":
        return users
    fraction = min(max(t / duration, 0.0), 1.0) if duration > 0 else 1.0
    if shape == "ramp":
        return max(1, round(1 + (users - 1) * fraction))
    if shape == "spike":
        peak = peak_users if peak_users is not None else 3 * users
        return peak if 1 / 3 <= fraction < 2 / 3 else users
    if shape == "step":
        plateau = min(steps, math.floor(fraction * steps) + 1)
        return max(1, math.ceil(users * plateau / steps))
    raise ValueError(f"unknown shape {shape!r} (steady, ramp, spike, step)")
