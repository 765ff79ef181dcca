"""``GET /v1/health`` (liveness) and ``GET /v1/ready`` (readiness); no auth needed."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from service.api.schemas import DependencyOut, HealthOut, ReadyOut
from service.domain.health import ReadinessChecker

__all__ = ["HealthController"]


class HealthController(Controller):
    path = "/v1"
    tags = ("health",)
    opt = {"public": True}  # noqa: RUF012 - Litestar's Controller declares it this way

    @get(
        "/health",
        operation_id="get_health",
        summary="Liveness: the process answers",
        sync_to_thread=False,
    )
    def get_health(self) -> HealthOut:
        return HealthOut("ok")

    @get(
        "/ready",
        operation_id="get_readiness",
        summary="Readiness: 200 when ready, 503 when a required dependency is down or draining",
        responses={
            503: ResponseSpec(
                data_container=ReadyOut,
                description="Not ready (a required dependency is down) or draining",
                generate_examples=False,
            )
        },
    )
    async def get_readiness(
        self, readiness: NamedDependency[ReadinessChecker]
    ) -> Response[ReadyOut]:
        report = await readiness.check()
        status = "draining" if report.draining else "ready" if report.ready else "not_ready"
        body = ReadyOut(
            status=status,
            dependencies={
                d.name: DependencyOut(status=d.status, required=d.required)
                for d in report.dependencies
            },
        )
        return Response(body, status_code=200 if report.ready else 503)
