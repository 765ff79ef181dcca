"""``chaoslab run``'s options for Locust's distributed mode across machines, declared
together and handed to the command as one ``master`` mapping (``RunOptions`` fields)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["master_options"]

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--master-bind-host",
        default="127.0.0.1",
        show_default=True,
        metavar="HOST",
        help="Address Locust's master listens on for workers (beyond loopback only with"
        " --allow-remote).",
    ),
    click.option(
        "--master-port",
        type=click.IntRange(1, 65535),
        default=None,
        help="Port of Locust's master (default: a free one; printed at the start).",
    ),
    click.option(
        "--expect-workers",
        type=click.IntRange(min=0, max=64),
        default=0,
        show_default=True,
        metavar="N",
        help="Workers that join from elsewhere, besides --workers (the open model's rate is"
        " split among all); the run waits up to 180 s for them.",
    ),
    click.option(
        "--allow-remote",
        is_flag=True,
        help="Let --master-bind-host be an address other machines reach.",
    ),
)


def master_options(command: F) -> F:
    """Add the options; the command receives them as ``master`` (a dict)."""

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        master_bind_host: str,
        master_port: int | None,
        expect_workers: int,
        allow_remote: bool,
        **kwargs: Any,
    ) -> Any:
        master = {
            "master_bind_host": master_bind_host,
            "master_port": master_port,
            "expect_workers": expect_workers,
            "allow_remote": allow_remote,
        }
        return command(*args, master=master, **kwargs)

    decorated: Any = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]
