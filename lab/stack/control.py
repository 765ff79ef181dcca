"""Act on one component of a running stack, whatever backend made it.

Each function reads how to control the component from ``stack.json``
(``Component.control``): a local process group gets signals (``kill`` SIGKILL, ``freeze``
SIGSTOP, ``resume`` SIGCONT) and ``restart`` goes through the supervisor's control channel
(it owns the servers, so the replica comes back on the same port and ``stack.json`` gets
its new pid); a compose container gets ``docker kill`` / ``pause`` / ``unpause`` /
``restart``; an external component refuses with ``ControlError``.

The stack passed in may be stale (a replica restarted since): when its stack directory
holds a ``stack.json``, that file is read first.
"""

from __future__ import annotations

import shutil
import signal
import subprocess

import httpx

from lab.proc import group_running
from lab.stack.errors import StackError
from lab.stack.processes import is_ours, signal_group, token_header, wait_gone
from rundir import (
    Component,
    DockerControl,
    NoControl,
    ProcessControl,
    Stack,
    fresh_stack,
)

__all__ = ["KILL_WAIT_S", "ControlError", "freeze", "kill", "restart", "resume"]

KILL_WAIT_S = 5.0
"""How long ``kill`` waits for the killed group's processes to exit."""


class ControlError(StackError):
    """The component cannot be controlled that way (or is gone); one line."""


def _component(stack: Stack, name: str) -> Component:
    try:
        return stack.component(name)
    except KeyError:
        names = ", ".join(c.name for c in stack.components)
        raise ControlError(f"no component {name!r} in the stack (have: {names})") from None


def _docker(*args: str) -> None:
    docker = shutil.which("docker")
    if docker is None:
        raise ControlError("docker not found on PATH: the compose backend needs it")
    done = subprocess.run([docker, *args], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise ControlError(f"docker {' '.join(args)}: {done.stderr.strip().splitlines()[-1:]}")


def _signal(stack: Stack, name: str, sig: int, docker_verb: str) -> Component:
    part = _component(fresh_stack(stack), name)
    control = part.control
    if isinstance(control, ProcessControl):
        # the very process recorded (pid + start time), never one that reused its pid
        if not is_ours(control.pid, control.start) or not signal_group(control.pgid, sig):
            raise ControlError(f"{name} (pid {control.pid}) is not running")
    elif isinstance(control, DockerControl):
        _docker(docker_verb, control.container)
    else:
        assert isinstance(control, NoControl)
        raise ControlError(
            f"{name} runs outside the lab ({stack.backend} backend): cannot control it"
        )
    return part


def kill(stack: Stack, name: str) -> Component:
    """SIGKILL the component's process group (``docker kill``): a crash. Returns once every
    process of the group has exited (at most ``KILL_WAIT_S``): SIGKILL is delivered
    asynchronously, and until then the group's listening socket still accepts connections
    that die with it, so a request sent right after the kill would meet a half-dead server."""
    part = _signal(stack, name, signal.SIGKILL, "kill")
    if isinstance(part.control, ProcessControl):
        wait_gone(group_running(part.control.pgid), KILL_WAIT_S)
    return part


def freeze(stack: Stack, name: str) -> Component:
    """SIGSTOP the group (``docker pause``): alive, listening, answering nothing."""
    return _signal(stack, name, signal.SIGSTOP, "pause")


def resume(stack: Stack, name: str) -> Component:
    """SIGCONT the group (``docker unpause``)."""
    return _signal(stack, name, signal.SIGCONT, "unpause")


def restart(stack: Stack, name: str, *, timeout: float = 60.0) -> Component:
    """Start the component again and wait until it is ready; returns it as ``stack.json``
    now describes it (new pid)."""
    current = fresh_stack(stack)
    part = _component(current, name)
    control = part.control
    if isinstance(control, DockerControl):
        _docker("restart", control.container)
        return part
    if isinstance(control, NoControl):
        raise ControlError(
            f"{name} runs outside the lab ({stack.backend} backend): cannot restart it"
        )
    supervisors = current.of_kind("supervisor")
    if not supervisors or supervisors[0].admin_url is None:
        raise ControlError("the stack has no supervisor to restart components")
    url = f"{supervisors[0].admin_url}/restart/{name}"
    try:
        response = httpx.post(url, timeout=timeout, headers=token_header(current))
    except httpx.HTTPError as error:
        raise ControlError(f"the supervisor at {url} did not answer: {error}") from None
    if response.status_code != 200:
        raise ControlError(f"restart {name}: {response.json().get('error', response.text)}")
    return _component(fresh_stack(current), name)
