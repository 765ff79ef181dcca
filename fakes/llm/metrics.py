"""Prometheus metrics of one fake, in its own registry (served at ``GET /metrics``).

Labels are fixed and low-cardinality: ``vendor`` (openai|anthropic), ``outcome``, ``kind``.
The lab compares these server-side counts with the client's to measure retry amplification.
With several granian workers each worker counts its own requests (a scrape reaches one).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from fakes.llm.engine import Decision, Hang, Reject, Reset, Serve

__all__ = ["OUTCOMES", "FakeMetrics"]

# outcome of a request, as the fake saw it
OUTCOMES = (
    "ok",
    "stream_fault",
    "client_closed",
    "error",
    "reset",
    "hang",
    "rejected",
    "bad_request",
)

REQUESTS_HELP = "Requests to the fake LLM API by outcome (ok, stream_fault, error, ...)."
FAULTS_HELP = "Faults injected by the fake, by kind (error_503, outage, quota_requests, ...)."
TOKENS_HELP = "Tokens the fake accounted for, by kind (prompt, completion)."
IN_FLIGHT_HELP = "Requests the fake is handling right now."
DRAWN_TTFT_HELP = "Time to first token drawn for each served request (profile, latency or tail)."
DRAWN_RATE_HELP = "Decode rate drawn by the provider profile for each served request."
DRAWN_TOKENS_HELP = "Answer length (completion tokens) of each served request."
_TTFT_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0)
_RATE_BUCKETS = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 75.0, 100.0, 150.0)
_TOKEN_BUCKETS = (8.0, 16.0, 32.0, 48.0, 64.0, 96.0, 128.0, 256.0, 512.0)


class FakeMetrics:
    """The fake's metrics; ``vendor`` is bound once so the hot path does no label lookups.

    ``in_flight`` reads the number of chat requests being handled when ``/metrics`` is
    scraped, so requests do not update a gauge (without it the gauge reads 0).
    """

    def __init__(
        self,
        vendor: str,
        registry: CollectorRegistry | None = None,
        *,
        in_flight: Callable[[], float] | None = None,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._requests = Counter(
            "fake_llm_requests",
            REQUESTS_HELP,
            ["vendor", "outcome"],
            registry=self.registry,
        )
        self._faults = Counter(
            "fake_llm_faults_injected",
            FAULTS_HELP,
            ["vendor", "kind"],
            registry=self.registry,
        )
        tokens = Counter("fake_llm_tokens", TOKENS_HELP, ["vendor", "kind"], registry=self.registry)
        gauge = Gauge(
            "fake_llm_in_flight_requests", IN_FLIGHT_HELP, ["vendor"], registry=self.registry
        ).labels(vendor)
        if in_flight is not None:
            gauge.set_function(in_flight)
        self._vendor = vendor
        self._outcome = {o: self._requests.labels(vendor, o) for o in OUTCOMES}
        self.prompt_tokens = tokens.labels(vendor, "prompt")
        self.completion_tokens = tokens.labels(vendor, "completion")
        self._ttft = Histogram(
            "fake_llm_drawn_ttft_seconds",
            DRAWN_TTFT_HELP,
            ["vendor"],
            buckets=_TTFT_BUCKETS,
            registry=self.registry,
        ).labels(vendor)
        self._rate = Histogram(
            "fake_llm_drawn_tokens_per_second",
            DRAWN_RATE_HELP,
            ["vendor"],
            buckets=_RATE_BUCKETS,
            registry=self.registry,
        ).labels(vendor)
        self._length = Histogram(
            "fake_llm_drawn_answer_tokens",
            DRAWN_TOKENS_HELP,
            ["vendor"],
            buckets=_TOKEN_BUCKETS,
            registry=self.registry,
        ).labels(vendor)

    def drawn(self, serve: Serve, tokens: int) -> None:
        """Observe what was drawn for one served request (and count a tail as a fault)."""
        self._ttft.observe(serve.ttft_s)
        if serve.tokens_per_s > 0:
            self._rate.observe(serve.tokens_per_s)
        self._length.observe(tokens)
        if serve.tail:
            self.fault("tail")

    def outcome(self, name: str) -> None:
        """Count one request with outcome ``name`` (one of ``OUTCOMES``)."""
        self._outcome[name].inc()

    def fault(self, kind: str) -> None:
        """Count one injected fault of ``kind``."""
        self._faults.labels(self._vendor, kind).inc()

    def decision(self, decision: Decision) -> None:
        """Count the fault and the outcome a non-serving decision stands for."""
        if isinstance(decision, Serve):
            if decision.stream_fault is not None:
                self.fault(f"stream_{decision.stream_fault}")
            return
        self.fault(decision.fault)
        if isinstance(decision, Reject):
            self.outcome("rejected" if decision.reason in ("auth", "model", "context") else "error")
        elif isinstance(decision, Reset):
            self.outcome("reset")
        elif isinstance(decision, Hang):
            self.outcome("hang")

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
