"""The run-directory contract: every path of a stack directory and of a run directory, and
the typed records written there (stack, events with typed details, requests, upstream
attempts).

Every step of the lab writes files the next one reads::

    chaoslab up     -> STACK/stack.json          (Stack: what runs where, how to control it)
    chaoslab run    -> RUN/events.jsonl          (Event per line: run and fault windows)
                       RUN/load/requests-*.jsonl (RequestRecord per line: every client request)
                       RUN/prom/*.json           (Prometheus query results saved at the end)
                       RUN/upstream/*.jsonl      (UpstreamRecord per line: each fake's requests)
    chaoslab report -> RUN/report.{html,md,json,xml}

``rundir.layout`` names every file; ``rundir.stack`` and ``rundir.records`` hold the Structs
(``rundir.events`` each event's typed detail). This package
imports nothing of the project, so the stack backends, the runner, the Locust processes and
the reports all read and write the same shapes.
"""

from __future__ import annotations

from rundir import records, stack
from rundir.records import *  # noqa: F403 - the package's surface is the two modules' __all__
from rundir.stack import *  # noqa: F403

__all__ = [*records.__all__, *stack.__all__]
