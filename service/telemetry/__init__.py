"""Telemetry: every metric in one module (``metrics``), JSON logs, HTTP middleware and
the Prometheus implementation of the resilience and chat observers."""

__all__: list[str] = []
