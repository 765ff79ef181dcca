"""The typed records of a run directory (their paths are in ``rundir.layout``; ``stack.json``
is ``rundir.stack``'s): ``events.jsonl`` (``Event``),
``load/requests-<worker>.jsonl`` (``RequestRecord``), ``upstream/<fake>.jsonl``
(``UpstreamRecord``).

Nothing after ``chaoslab up`` asks which backend made the stack. This package imports
nothing from the project, so the stack backends, the experiment runner, the Locust
processes and the reports all read and write the same Structs. Times are Unix seconds
(float, wall clock); durations are seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

import msgspec

from rundir.layout import EVENTS_FILE, LOAD_DIR, REQUESTS_GLOB, UPSTREAM_DIR

__all__ = [
    "SOURCES",
    "Event",
    "EventKind",
    "Outcome",
    "RequestRecord",
    "RunDirError",
    "UpstreamRecord",
    "append_events",
    "read_events",
    "read_requests",
    "read_upstream",
]

T = TypeVar("T")


class RunDirError(ValueError):
    """A stack or run directory file is missing or malformed; the message is one line."""


# -- events.jsonl ----------------------------------------------------------------------

EventKind = Literal[
    "run_start",
    "run_end",
    "load_start",
    "load_stop",
    "fault_start",
    "fault_end",
    "check",
    "abort",
    "look",
    "note",
]


class Event(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One line of ``events.jsonl``.

    A fault is a ``fault_start`` and a ``fault_end`` with the same ``id``; a fault with a
    start and no end is still open (the runner was killed) and is reverted by the next
    ``chaoslab run`` or by ``chaoslab down``.
    """

    t: float
    kind: EventKind
    id: str | None = None
    target: str | None = None
    """The role as the scenario wrote it (``primary-provider``, ``replica:any``)."""
    action: str | None = None
    detail: dict[str, Any] = msgspec.field(default_factory=dict)
    """Free-form: the resolved component, toxic attributes, how to revert, check results."""


def append_events(run_dir: Path, events: Iterable[Event]) -> None:
    """Append events, one JSON line each, flushed at once (a killed runner loses nothing)."""
    path = run_dir / EVENTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    encoder = msgspec.json.Encoder()
    with path.open("ab") as out:
        for event in events:
            out.write(encoder.encode(event) + b"\n")


def read_events(run_dir: Path) -> list[Event]:
    return list(_read_lines(run_dir / EVENTS_FILE, Event))


# -- load/requests.jsonl ---------------------------------------------------------------

Outcome = Literal["good", "failure", "excluded"]
SOURCES = (
    "replica",
    "provider",
    "dependency",
    "load_balancer",
    "client_timeout",
    "no_response",
    "load_generator",
)
"""Who answered a request (``RequestRecord.source``)."""


class RequestRecord(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One client request as the load generator saw it (the primary SLI source).

    ``outcome`` comes from the one outcome table (``loadtests.outcomes``); ``reason`` says
    why (``ok``, ``http_503``, ``timeout``, ``stream_incomplete``, ``dropped_at_cap``...).
    """

    t: float
    """When the request was sent (or, for an open model, when it was due)."""
    user: str
    """The simulated user's kind: ``chat``, ``stream``, ``openai``, ``abusive``."""
    name: str
    """The request's name (route template), as Locust reports it."""
    outcome: Outcome
    reason: str
    status: int = 0
    """HTTP status; 0 when no response came."""
    latency_s: float
    """Until the last byte (or the failure)."""
    ttft_s: float | None = None
    """Time to first token, for streams."""
    stream: bool = False
    provider: str | None = None
    tokens: int | None = None
    """For streams: content events received (each a token, as the fakes send them)."""
    request_id: str | None = None
    worker: str | None = None
    itl_p50_s: float | None = None
    """For streams with two tokens or more: the median gap between consecutive tokens."""
    itl_p95_s: float | None = None
    """The same gaps' nearest-rank p95."""
    itl_max_s: float | None = None
    """The longest gap (a stall)."""
    tokens_per_s: float | None = None
    """Tokens after the first / seconds from the first token to the last."""
    stream_complete: bool | None = None
    """For streams answered 2xx: whether the final event (``done`` / ``[DONE]``) arrived."""
    marks: tuple[int, ...] | None = None
    """For 2xx answers: the distinct output marks found in the answer's text, in order of
    first appearance (each lab fake marks every token it serves with its own mark, see
    ``Component.extra["mark"]``); two or more: text from two providers in one answer.
    Null: not an answer, or an answer without marks (unmarked providers)."""
    source: str | None = None
    """Who gave the answer (``SOURCES``): ``replica`` (the service answered, success or its
    own error), ``provider`` (a provider's error the service passed through), ``dependency``
    (the service's 503 naming a dependency), ``load_balancer`` (an answer with neither the
    service's ``x-request-id`` nor ``x-chat-replica``: HAProxy's own 503), ``client_timeout``,
    ``no_response`` (connection refused or reset), ``load_generator`` (an open-model arrival
    dropped or late). Null in logs written before it existed."""
    replica: str | None = None
    """The replica that answered (its ``x-chat-replica`` header), when one did."""
    cached: bool | None = None
    """For 2xx answers: whether the service answered from its response cache."""


# -- upstream/*.jsonl -------------------------------------------------------------------


class UpstreamRecord(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One chat request as a fake provider saw it (one upstream attempt of the service).

    The fakes write these lines to their request log (``FAKE_LLM_REQUEST_LOG``); at the end
    of a run the runner copies each fake's lines of the run into
    ``RUN/upstream/<component name>.jsonl``. ``rid`` is the service's request id, which the
    service sends upstream in ``x-request-id`` and returns to the client (the client's
    ``RequestRecord.request_id``): attempts per client request are counted by the fakes.
    """

    t: float
    """When the request arrived, Unix seconds."""
    rid: str | None = None
    """The ``x-request-id`` header the caller sent (the service's request id)."""
    id: str = ""
    """The fake's own response id."""
    vendor: str = ""
    model: str = ""
    stream: bool = False
    status: int = 0
    """HTTP status sent; 0 when none was (connection reset, client gone during a hang)."""
    outcome: str = ""
    """The fake's outcome (``ok``, ``stream_fault``, ``error``, ``reset``, ``hang``, ...)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """Completion tokens actually sent (a cut stream counts what went out)."""
    latency_s: float = 0.0
    """Until the answer (or the failure) was sent."""
    drawn_ttft_s: float | None = None
    """Time to first token the fake drew (its provider profile, a latency fault or a tail)."""
    drawn_tokens_per_s: float | None = None
    """Decode rate the provider profile drew (None: no profile rate)."""
    drawn_tokens: int | None = None
    """The answer's length in tokens (the profile's or the natural one, cut by max_tokens)."""
    drawn_stall_s: float | None = None
    """A mid-stream pause the profile drew (None: none)."""


def read_upstream(run_dir: Path) -> dict[str, list[UpstreamRecord]]:
    """Component name -> the attempts its log recorded during the run (empty: no logs)."""
    out: dict[str, list[UpstreamRecord]] = {}
    for path in sorted((run_dir / UPSTREAM_DIR).glob("*.jsonl")):
        out[path.stem] = list(_read_lines(path, UpstreamRecord))
    return out


def read_requests(run_dir: Path) -> list[RequestRecord]:
    """Every request of the run (all files matching ``load/requests*.jsonl``: one per
    Locust worker)."""
    records: list[RequestRecord] = []
    for path in sorted((run_dir / LOAD_DIR).glob(REQUESTS_GLOB)):
        records.extend(_read_lines(path, RequestRecord))
    return records


def _read_lines(path: Path, kind: type[T]) -> Iterator[T]:
    decoder = msgspec.json.Decoder(kind)
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return
    except OSError as error:  # a directory, unreadable...
        raise RunDirError(f"{path}: cannot read ({error.strerror or error})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield decoder.decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            if number == len(lines):
                return  # a last line cut by a killed writer
            raise RunDirError(f"{path}:{number}: {error}") from None
