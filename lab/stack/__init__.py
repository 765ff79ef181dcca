"""The lab stack: bring a phase up, describe it in ``STACK/stack.json``, take it down.

Public API (what ``chaoslab up/status/down`` and ``chaoslab run`` call)::

    from lab.stack import up, down, status, control
    stack = up("v3", seed=7, stack_dir=Path(".chaoslab/stacks/x"))   # returns once ready
    control.kill(stack, "replica-2")       # the supervisor restarts it (phase v3)
    control.freeze(stack, "fake-openai"); control.resume(stack, "fake-openai")
    control.restart(stack, "replica-2")    # through the supervisor's control channel
    status(stack_dir)                        # [ComponentStatus(name, kind, state, pid, url)]
    down(stack_dir)                          # idempotent; no process or port left behind

Backends: ``local`` (every component a process; the default), ``compose`` (files for
Docker Compose, generated from the phase file), ``external`` (a file of URLs).
"""

from lab.stack import control
from lab.stack.errors import StackError
from lab.stack.lifecycle import down, serve, up
from lab.stack.progress import Progress, Step
from lab.stack.status import ComponentStatus, status

__all__ = [
    "ComponentStatus",
    "Progress",
    "StackError",
    "Step",
    "control",
    "down",
    "serve",
    "status",
    "up",
]
